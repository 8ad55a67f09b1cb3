package main

import (
	"fmt"

	"github.com/unmix/unmix/shared/cifar"
	"github.com/unmix/unmix/shared/mixture"
	"github.com/unmix/unmix/site/trainsample"
)

// Split of the training sample, fixed so that every run and every resumed
// checkpoint validates on the same images.
const (
	valFraction = 0.1
	splitSeed   = 1
)

// Data holds the images a session trains, validates and evaluates on, split
// into groups with labels 0-4.
type Data struct {
	TrainA, TrainB *cifar.Dataset // the training sample less the validation images
	ValA, ValB     *cifar.Dataset // held out from the training sample
	TestA, TestB   *cifar.Dataset // the demo's CIFAR-10 test sample, for the protocol
}

// LoadData decodes the training sample and the demo's test sample, each a
// PNG sprite and its JSON index, and splits them as the native trainer does:
// by group, then a stratified validation fraction of each group.
func LoadData(trainSprite, trainIndex, testSprite, testIndex []byte) (*Data, error) {
	train, _, err := trainsample.Decode(trainSprite, trainIndex)
	if err != nil {
		return nil, fmt.Errorf("training sample: %w", err)
	}
	test, _, err := trainsample.Decode(testSprite, testIndex)
	if err != nil {
		return nil, fmt.Errorf("test sample: %w", err)
	}
	return splitData(train, test), nil
}

// splitData splits datasets with labels 0-9 into a Data.
func splitData(train, test *cifar.Dataset) *Data {
	a, b := cifar.SplitGroups(train)
	d := &Data{}
	d.TrainA, d.ValA = mixture.Split(a, valFraction, splitSeed)
	d.TrainB, d.ValB = mixture.Split(b, valFraction, splitSeed+1)
	d.TestA, d.TestB = cifar.SplitGroups(test)
	return d
}

// Summary returns the image counts, for the page.
func (d *Data) Summary() map[string]int {
	return map[string]int{
		"train": d.TrainA.Len() + d.TrainB.Len(),
		"val":   d.ValA.Len() + d.ValB.Len(),
		"test":  d.TestA.Len() + d.TestB.Len(),
	}
}
