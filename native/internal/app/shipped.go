package app

import (
	"fmt"

	"github.com/unmix/unmix/shared/model"
	"github.com/unmix/unmix/shared/models"
)

// shippedWeights returns the weights file of preset that ships with unmix.
func shippedWeights(preset string) ([]byte, string, error) {
	// Reject a misspelled preset by name here, because models.Weights
	// names only the presets that ship, and none when no weights ship.
	if _, err := model.Preset(preset); err != nil {
		return nil, "", err
	}
	data, err := models.Weights(preset)
	if err != nil {
		return nil, "", err
	}
	return data, fmt.Sprintf("shipped %s weights", preset), nil
}
