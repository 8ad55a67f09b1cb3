// Command unmix trains, evaluates and runs the Unmix dual-head model: given
// the pixel average of two CIFAR-10 images, one of classes 0-4 and one of
// classes 5-9, it names both.
//
// Run `unmix help` for the subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/unmix/unmix/native/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, app.ErrUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "unmix:", err)
		os.Exit(1)
	}
}
