package download

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/unmix/unmix/shared/cifar"
)

// entry is one file of a generated tar archive.
type entry struct {
	name     string
	body     []byte
	typeflag byte // tar.TypeReg when zero
	linkname string
}

// batchFiles returns the entries of a small archive laid out like the
// official release: each batch file holds two records.
func batchFiles() []entry {
	entries := []entry{{name: ArchiveFolder + "/", typeflag: tar.TypeDir}}
	names := append(cifar.TrainFiles[:len(cifar.TrainFiles):len(cifar.TrainFiles)], cifar.TestFile)
	for i, name := range names {
		record := make([]byte, 2*cifar.RecordBytes)
		record[0] = uint8(i)
		record[cifar.RecordBytes] = 9
		record[1] = byte(100 + i)
		entries = append(entries, entry{name: ArchiveFolder + "/" + name, body: record})
	}
	entries = append(entries,
		entry{name: ArchiveFolder + "/batches.meta.txt", body: []byte("airplane\nautomobile\n")},
		entry{name: ArchiveFolder + "/readme.html", body: []byte("<html></html>")},
	)
	return entries
}

func makeArchive(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		header := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: e.typeflag, Linkname: e.linkname}
		if header.Typeflag == 0 {
			header.Typeflag = tar.TypeReg
		}
		if header.Typeflag != tar.TypeReg {
			header.Size = 0
		}
		if err := tw.WriteHeader(header); err != nil {
			t.Fatal(err)
		}
		if header.Size > 0 {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func md5Hex(data []byte) string {
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}

// serve starts a server on 127.0.0.1 that returns body for every request
// and returns its URL.
func serve(t *testing.T, body []byte) string {
	t.Helper()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	t.Cleanup(server.Close)
	return server.URL + "/cifar-10-binary.tar.gz"
}

// listDir returns the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestDownloadExtracts(t *testing.T) {
	archive := makeArchive(t, batchFiles())
	url := serve(t, archive)
	dir := filepath.Join(t.TempDir(), "data")
	var progress bytes.Buffer

	if err := DownloadWithMD5(context.Background(), url, md5Hex(archive), dir, &progress); err != nil {
		t.Fatalf("DownloadWithMD5: %v", err)
	}

	want := []string{"batches.meta.txt", "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
		"data_batch_4.bin", "data_batch_5.bin", "readme.html", "test_batch.bin"}
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Errorf("files in data folder = %v, want %v (no temporary files left)", got, want)
	}
	if progress.Len() == 0 {
		t.Error("progress writer received nothing, want a progress bar")
	}

	train, err := cifar.LoadTrain(dir)
	if err != nil {
		t.Fatalf("LoadTrain of the extracted files: %v", err)
	}
	if got, want := train.Len(), 10; got != want {
		t.Errorf("training images = %d, want %d", got, want)
	}
	if got, want := train.Image(2)[0], byte(101); got != want {
		t.Errorf("first byte of data_batch_2.bin image 0 = %d, want %d", got, want)
	}
	test, err := cifar.LoadTest(dir)
	if err != nil {
		t.Fatalf("LoadTest of the extracted files: %v", err)
	}
	if got, want := test.Labels[0], uint8(5); got != want {
		t.Errorf("test label 0 = %d, want %d", got, want)
	}
}

func TestDownloadReplacesFiles(t *testing.T) {
	archive := makeArchive(t, batchFiles())
	url := serve(t, archive)
	dir := t.TempDir()
	old := filepath.Join(dir, cifar.TestFile)
	if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}

	for range 2 {
		if err := DownloadWithMD5(context.Background(), url, md5Hex(archive), dir, nil); err != nil {
			t.Fatalf("DownloadWithMD5: %v", err)
		}
	}

	info, err := os.Stat(old)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.Size(), int64(2*cifar.RecordBytes); got != want {
		t.Errorf("size of %s = %d, want %d", cifar.TestFile, got, want)
	}
}

func TestDownloadMD5Mismatch(t *testing.T) {
	archive := makeArchive(t, batchFiles())
	url := serve(t, archive)
	dir := t.TempDir()
	wrong := strings.Repeat("0", 32)

	err := DownloadWithMD5(context.Background(), url, wrong, dir, nil)
	if err == nil {
		t.Fatal("got no error for a wrong MD5 sum")
	}
	for _, want := range []string{"MD5 sum is " + md5Hex(archive), "want " + wrong} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to contain %q", err, want)
		}
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("data folder contains %v after a failed download, want nothing", got)
	}
}

func TestDownloadRejectsArchives(t *testing.T) {
	valid := makeArchive(t, batchFiles())
	withoutTest := slices.DeleteFunc(batchFiles(), func(e entry) bool {
		return strings.HasSuffix(e.name, cifar.TestFile)
	})

	tests := []struct {
		name     string
		archive  []byte
		wantText string
	}{
		{"truncated", valid[:len(valid)/2], "archive is corrupt or truncated"},
		{"not gzip", []byte("plain text, not an archive"), "archive is corrupt or truncated: gzip: invalid header"},
		{"parent path", makeArchive(t, append(batchFiles(), entry{name: ArchiveFolder + "/../../evil.txt", body: []byte("x")})),
			`entry "cifar-10-batches-bin/../../evil.txt" is outside cifar-10-batches-bin/`},
		{"absolute path", makeArchive(t, append(batchFiles(), entry{name: "/tmp/evil.txt", body: []byte("x")})),
			`entry "/tmp/evil.txt" is outside`},
		{"nested folder", makeArchive(t, append(batchFiles(), entry{name: ArchiveFolder + "/sub/x.bin", body: []byte("x")})),
			`entry "cifar-10-batches-bin/sub/x.bin" is outside`},
		{"symlink", makeArchive(t, append(batchFiles(), entry{name: ArchiveFolder + "/link", typeflag: tar.TypeSymlink, linkname: "/etc/passwd"})),
			`entry "cifar-10-batches-bin/link" is not a regular file`},
		{"duplicate", makeArchive(t, append(batchFiles(), entry{name: ArchiveFolder + "/readme.html", body: []byte("again")})),
			`archive lists "cifar-10-batches-bin/readme.html" twice`},
		{"missing test batch", makeArchive(t, withoutTest), "archive has no cifar-10-batches-bin/test_batch.bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "data")

			err := DownloadWithMD5(context.Background(), serve(t, tt.archive), md5Hex(tt.archive), dir, nil)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.wantText)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantText)
			}
			if got := listDir(t, dir); len(got) != 0 {
				t.Errorf("data folder contains %v after a rejected archive, want nothing", got)
			}
			if got, want := listDir(t, parent), []string{"data"}; !slices.Equal(got, want) {
				t.Errorf("parent folder contains %v, want %v", got, want)
			}
		})
	}
}

func TestDownloadTransferErrors(t *testing.T) {
	archive := makeArchive(t, batchFiles())
	mux := http.NewServeMux()
	mux.HandleFunc("/short", func(w http.ResponseWriter, r *http.Request) {
		// Promise the whole archive, send half and close the connection.
		w.Header().Set("Content-Length", strconv.Itoa(len(archive)))
		w.Write(archive[:len(archive)/2])
	})
	mux.HandleFunc("/missing", http.NotFound)
	server := httptest.NewServer(mux)
	defer server.Close()

	tests := []struct {
		path     string
		wantText string
	}{
		{"/short", "transfer failed after"},
		{"/missing", "status 404 Not Found, want 200 OK"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		err := DownloadWithMD5(context.Background(), server.URL+tt.path, md5Hex(archive), dir, nil)
		if err == nil || !strings.Contains(err.Error(), tt.wantText) {
			t.Errorf("GET %s: error = %v, want it to contain %q", tt.path, err, tt.wantText)
		}
		if got := listDir(t, dir); len(got) != 0 {
			t.Errorf("GET %s: data folder contains %v, want nothing", tt.path, got)
		}
	}
}

func TestDownloadCanceled(t *testing.T) {
	archive := makeArchive(t, batchFiles())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := DownloadWithMD5(ctx, serve(t, archive), md5Hex(archive), t.TempDir(), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}
