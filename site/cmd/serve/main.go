// Command serve serves the built site on a local address with the headers
// netlify.toml sets on Netlify.
//
//	go run ./site/cmd/serve -dir site/public -addr 127.0.0.1:8080
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/unmix/unmix/site"
)

const usage = `usage: serve [flags]

Serves a folder rendered by sitegen until interrupted.

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("serve", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("dir", "site/public", "folder rendered by sitegen")
	addr := flags.String("addr", "127.0.0.1:8080", "address to listen on")
	flags.Usage = func() {
		fmt.Fprint(stderr, usage)
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: serve takes flags only", flags.Arg(0))
	}
	if _, err := os.Stat(filepath.Join(*dir, site.ManifestFile)); err != nil {
		return fmt.Errorf("%s has no built site: run go run ./site/cmd/sitegen -out %s first (%w)", *dir, *dir, err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	server := &http.Server{
		Handler:           site.WithHeaders(http.FileServer(http.Dir(*dir))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdown)
	}()

	fmt.Fprintf(stdout, "serving %s at http://%s/\n", *dir, listener.Addr())
	logger.Info("serving", "dir", *dir, "addr", listener.Addr().String())
	if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	logger.Info("stopped")
	return nil
}
