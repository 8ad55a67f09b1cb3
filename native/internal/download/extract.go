package download

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/unmix/unmix/shared/cifar"
)

// ArchiveFolder is the folder inside the archive whose files are extracted.
const ArchiveFolder = "cifar-10-batches-bin"

// maxEntryBytes bounds the size of one extracted file. The largest file of
// the official archive is 30730000 bytes.
const maxEntryBytes = 64 << 20

// extract unpacks the regular files of ArchiveFolder in the tar.gz archive
// at archivePath into destDir. It rejects any entry outside that folder, so
// a crafted name such as "../x" cannot write elsewhere. Files go to a
// staging folder first and are renamed into destDir only when the whole
// archive is read and contains every batch file, so a corrupt archive leaves
// destDir as it was.
func extract(ctx context.Context, archivePath, destDir string) error {
	staging, err := os.MkdirTemp(destDir, ".cifar-10-extract-*")
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer os.RemoveAll(staging)

	names, err := unpack(ctx, archivePath, staging)
	if err != nil {
		return err
	}
	if err := checkComplete(names); err != nil {
		return err
	}

	for _, name := range names {
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(destDir, name)); err != nil {
			return fmt.Errorf("download: %w", err)
		}
	}
	return nil
}

// unpack writes the files of ArchiveFolder into dir and returns their names.
func unpack(ctx context.Context, archivePath, dir string) ([]string, error) {
	f, err := os.Open(archivePath)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, corruptArchive(err)
	}
	defer gz.Close()

	var names []string
	tr := tar.NewReader(gz)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("download: extraction stopped: %w", err)
		}
		header, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return nil, corruptArchive(err)
		}

		name, err := entryName(header)
		if err != nil {
			return nil, err
		}
		if name == "" {
			continue
		}
		if err := writeEntry(filepath.Join(dir, name), header, tr); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
}

// entryName returns the file name to extract for header, or "" for an entry
// to skip: the folder itself and pax global headers. It returns an error for
// any other entry that is not a regular file directly inside ArchiveFolder.
func entryName(header *tar.Header) (string, error) {
	cleaned := path.Clean(header.Name)
	if header.Typeflag == tar.TypeXGlobalHeader || (cleaned == ArchiveFolder && header.Typeflag == tar.TypeDir) {
		return "", nil
	}

	folder, name := path.Split(cleaned)
	if folder != ArchiveFolder+"/" || !filepath.IsLocal(name) {
		return "", fmt.Errorf("download: archive entry %q is outside %s/; the archive is not the CIFAR-10 binary release", header.Name, ArchiveFolder)
	}
	if header.Typeflag != tar.TypeReg {
		return "", fmt.Errorf("download: archive entry %q is not a regular file (tar type %q); the archive is not the CIFAR-10 binary release", header.Name, header.Typeflag)
	}
	if header.Size > maxEntryBytes {
		return "", fmt.Errorf("download: archive entry %q has %d bytes, more than the limit of %d; the archive is not the CIFAR-10 binary release", header.Name, header.Size, maxEntryBytes)
	}
	return name, nil
}

func writeEntry(target string, header *tar.Header, r io.Reader) error {
	// O_EXCL rejects an archive that lists the same file twice.
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("download: archive lists %q twice; the archive is not the CIFAR-10 binary release", header.Name)
	}
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}

	_, err = io.Copy(out, r)
	if closeErr := out.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return corruptArchive(fmt.Errorf("%s: %w", header.Name, err))
	}
	return nil
}

func corruptArchive(err error) error {
	return fmt.Errorf("download: archive is corrupt or truncated: %w; download it again", err)
}

// checkComplete returns an error naming the first batch file missing from
// names.
func checkComplete(names []string) error {
	present := make(map[string]bool, len(names))
	for _, name := range names {
		present[name] = true
	}
	required := []string{cifar.TestFile}
	required = append(required, cifar.TrainFiles[:]...)
	for _, name := range required {
		if !present[name] {
			return fmt.Errorf("download: archive has no %s/%s; the archive is not the CIFAR-10 binary release", ArchiveFolder, name)
		}
	}
	return nil
}
