package app

import (
	"fmt"

	"github.com/unmix/unmix/shared/models"
)

// shippedWeights returns the weights file of preset that ships with unmix.
func shippedWeights(preset string) ([]byte, string, error) {
	data, err := models.Weights(preset)
	if err != nil {
		return nil, "", err
	}
	return data, fmt.Sprintf("shipped %s weights", preset), nil
}
