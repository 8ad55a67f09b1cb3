// Package download fetches the CIFAR-10 binary release, checks its MD5 sum
// and extracts the batch files into a data folder.
package download

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

const (
	// URL is the official CIFAR-10 binary release.
	URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
	// MD5 is the MD5 sum of the archive at URL.
	MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
)

// Download fetches the CIFAR-10 binary archive from url (URL when url is
// empty), checks it against MD5 and extracts the files of its
// cifar-10-batches-bin/ folder directly into destDir. destDir is then the
// folder that cifar.LoadTrain and cifar.LoadTest read, the one passed as
// --data-dir. Files already in destDir with the same names are replaced.
//
// Download shows a progress bar on progress unless progress is nil. ctx
// bounds the whole download, which has no other timeout.
func Download(ctx context.Context, url, destDir string, progress io.Writer) error {
	return DownloadWithMD5(ctx, url, MD5, destDir, progress)
}

// DownloadWithMD5 is Download with the expected MD5 sum, as a lowercase hex
// string, given by the caller.
func DownloadWithMD5(ctx context.Context, url, wantMD5, destDir string, progress io.Writer) error {
	if url == "" {
		url = URL
	}
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return fmt.Errorf("download: %w", err)
	}

	// The archive goes to a hidden temporary file in destDir, which the
	// extraction reads and which is removed on every path.
	archive, err := os.CreateTemp(destDir, ".cifar-10-binary-*.tar.gz.part")
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer os.Remove(archive.Name())

	gotMD5, err := fetch(ctx, url, archive, progress)
	if closeErr := archive.Close(); err == nil && closeErr != nil {
		err = fmt.Errorf("download: %w", closeErr)
	}
	if err != nil {
		return err
	}
	if gotMD5 != wantMD5 {
		return fmt.Errorf("download: %s: MD5 sum is %s, want %s; the download is corrupt or the file on the server changed, so try again",
			url, gotMD5, wantMD5)
	}

	return extract(ctx, archive.Name(), destDir)
}

// fetch writes the body of a GET request for url to w and returns its MD5
// sum as a lowercase hex string.
func fetch(ctx context.Context, url string, w io.Writer, progress io.Writer) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("download: invalid URL %q: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("download: GET %s failed: %w; check the network connection, or fetch the archive another way and extract its %s folder into the data folder",
			url, err, ArchiveFolder)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download: GET %s: status %s, want 200 OK; check the URL", url, resp.Status)
	}

	hash := md5.New()
	writers := []io.Writer{w, hash}
	if progress != nil {
		bar := newProgressBar(resp.ContentLength, progress)
		defer bar.Finish()
		writers = append(writers, bar)
	}

	n, err := io.Copy(io.MultiWriter(writers...), resp.Body)
	if err != nil {
		return "", fmt.Errorf("download: GET %s: transfer failed after %d bytes: %w", url, n, err)
	}
	return hex.EncodeToString(hash.Sum(nil)), nil
}

// newProgressBar returns a byte-counting bar that writes to w. A size of -1,
// for a response without Content-Length, shows a spinner.
func newProgressBar(size int64, w io.Writer) *progressbar.ProgressBar {
	return progressbar.NewOptions64(size,
		progressbar.OptionSetDescription("downloading CIFAR-10"),
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}
