package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// WeightsMagic starts every weights file; its last byte is the format version.
const WeightsMagic = "UNMIXW\x00\x01"

// WeightsExtension is the file name extension of weights files.
const WeightsExtension = ".unmixw"

// ModelScope is the context scope that holds the network's variables. A
// checkpoint also holds variables outside it (optimizer state, step counter,
// random number state); an exported weights file holds only this scope.
const ModelScope = "/model"

// InModelScope reports whether a variable scope is ModelScope or below it.
func InModelScope(scope string) bool {
	return scope == ModelScope || strings.HasPrefix(scope, ModelScope+"/")
}

// ModelOnly returns a copy of f with only the network's variables (scope
// /model) and no training state: the file inference needs.
func (f *WeightsFile) ModelOnly() *WeightsFile {
	exported := &WeightsFile{Config: f.Config}
	for _, v := range f.Variables {
		if InModelScope(v.Scope) {
			exported.Variables = append(exported.Variables, v)
		}
	}
	return exported
}

// maxHeaderBytes bounds the JSON header so a corrupt length cannot allocate
// gigabytes.
const maxHeaderBytes = 16 << 20

// WeightsFile is the content of a weights file: the model Config, free-form
// training state, and the variables.
type WeightsFile struct {
	Config Config `json:"config"`
	// State is opaque JSON kept by the trainer (epoch, history, ...); empty
	// in exported weights.
	State json.RawMessage `json:"state,omitempty"`
	// Variables holds every variable, sorted by scope and name.
	Variables []WeightsVariable `json:"variables"`
}

// WeightsVariable is one variable of a weights file. Data is little-endian,
// row-major, in the variable's dtype.
type WeightsVariable struct {
	Scope string `json:"scope"`
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	// Offset and Length locate Data inside the data section.
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
	Data   []byte `json:"-"`
}

// Path returns the variable's full name, scope and name joined by "/".
func (v WeightsVariable) Path() string {
	return strings.TrimSuffix(v.Scope, "/") + "/" + v.Name
}

type weightsHeader struct {
	Config    Config            `json:"config"`
	State     json.RawMessage   `json:"state,omitempty"`
	Variables []WeightsVariable `json:"variables"`
	DataBytes int64             `json:"data_bytes"`
}

// WeightsFromContext copies the variables of ctx into a WeightsFile. With
// modelOnly, it keeps only the network's variables (scope /model), which is
// what inference needs.
func WeightsFromContext(ctx *context.Context, cfg Config, modelOnly bool) (*WeightsFile, error) {
	file := &WeightsFile{Config: cfg}
	var err error
	ctx.EnumerateVariables(func(v *context.Variable) {
		if err != nil {
			return
		}
		if modelOnly && !InModelScope(v.Scope()) {
			return
		}
		value, valueErr := v.Value()
		if valueErr != nil {
			err = fmt.Errorf("weights: variable %s has no value: %w", v.ScopeAndName(), valueErr)
			return
		}
		var data []byte
		if bytesErr := value.ConstBytes(func(raw []byte) { data = bytes.Clone(raw) }); bytesErr != nil {
			err = fmt.Errorf("weights: reading variable %s: %w", v.ScopeAndName(), bytesErr)
			return
		}
		file.Variables = append(file.Variables, WeightsVariable{
			Scope: v.Scope(), Name: v.Name(), DType: v.DType().String(),
			Shape: value.Shape().Dimensions, Data: data,
		})
	})
	if err != nil {
		return nil, err
	}
	if len(file.Variables) == 0 {
		return nil, errors.New("weights: the context has no variables: build and run the model before saving")
	}
	sort.Slice(file.Variables, func(i, j int) bool { return file.Variables[i].Path() < file.Variables[j].Path() })
	return file, nil
}

// Encode writes the file: magic, header length (uint32 little-endian), JSON
// header, data, and a CRC-32 (IEEE) of everything before it.
func (f *WeightsFile) Encode(w io.Writer) error {
	header := weightsHeader{Config: f.Config, State: f.State}
	var offset int64
	for _, v := range f.Variables {
		v.Offset, v.Length = offset, int64(len(v.Data))
		offset += v.Length
		header.Variables = append(header.Variables, v)
	}
	header.DataBytes = offset
	headerJSON, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("weights: encoding header: %w", err)
	}

	checksum := crc32.NewIEEE()
	out := io.MultiWriter(w, checksum)
	var length [4]byte
	binary.LittleEndian.PutUint32(length[:], uint32(len(headerJSON)))
	for _, chunk := range [][]byte{[]byte(WeightsMagic), length[:], headerJSON} {
		if _, err := out.Write(chunk); err != nil {
			return fmt.Errorf("weights: writing: %w", err)
		}
	}
	for _, v := range f.Variables {
		if _, err := out.Write(v.Data); err != nil {
			return fmt.Errorf("weights: writing: %w", err)
		}
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], checksum.Sum32())
	if _, err := w.Write(sum[:]); err != nil {
		return fmt.Errorf("weights: writing: %w", err)
	}
	return nil
}

// WriteFile writes the weights file atomically: to a temporary file in the
// same folder, synced, then renamed over path, so an interrupted write never
// leaves a truncated file behind.
func (f *WeightsFile) WriteFile(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := f.Encode(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("weights: %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("weights: %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("weights: %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("weights: %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	return nil
}

// DecodeWeights parses a weights file held in memory (the browser has no
// file system). It checks the magic, the checksum, the header and every
// variable's size, so a truncated or corrupt file is reported, never loaded.
func DecodeWeights(data []byte) (*WeightsFile, error) {
	const prefix = len(WeightsMagic) + 4
	if len(data) < prefix+4 {
		return nil, fmt.Errorf("weights: file is %d bytes, too short to be a weights file: re-export it with `unmix export`", len(data))
	}
	if string(data[:len(WeightsMagic)]) != WeightsMagic {
		if string(data[:len(WeightsMagic)-1]) == WeightsMagic[:len(WeightsMagic)-1] {
			return nil, fmt.Errorf("weights: format version %d is not supported (want %d): use a matching unmix version",
				data[len(WeightsMagic)-1], WeightsMagic[len(WeightsMagic)-1])
		}
		return nil, errors.New("weights: not an Unmix weights file (bad magic bytes): pass a .unmixw file written by `unmix export` or `unmix train`")
	}
	body, sumBytes := data[:len(data)-4], data[len(data)-4:]
	headerLength := int(binary.LittleEndian.Uint32(data[len(WeightsMagic):prefix]))
	if headerLength > maxHeaderBytes || prefix+headerLength > len(body) {
		return nil, fmt.Errorf("weights: header length %d does not fit a %d-byte file: the file is truncated or corrupt, download or export it again",
			headerLength, len(data))
	}
	if got, want := crc32.ChecksumIEEE(body), binary.LittleEndian.Uint32(sumBytes); got != want {
		return nil, fmt.Errorf("weights: checksum mismatch (got %08x, want %08x): the file is truncated or corrupt, download or export it again", got, want)
	}

	var header weightsHeader
	if err := json.Unmarshal(body[prefix:prefix+headerLength], &header); err != nil {
		return nil, fmt.Errorf("weights: invalid header: %w", err)
	}
	payload := body[prefix+headerLength:]
	if int64(len(payload)) != header.DataBytes {
		return nil, fmt.Errorf("weights: data section is %d bytes, header records %d: the file is corrupt, export it again", len(payload), header.DataBytes)
	}
	file := &WeightsFile{Config: header.Config, State: header.State}
	for _, v := range header.Variables {
		if err := checkVariableSize(v, int64(len(payload))); err != nil {
			return nil, err
		}
		v.Data = payload[v.Offset : v.Offset+v.Length]
		file.Variables = append(file.Variables, v)
	}
	if err := file.Config.Validate(); err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	return file, nil
}

func checkVariableSize(v WeightsVariable, payloadBytes int64) error {
	dtype, err := parseDType(v.DType)
	if err != nil {
		return fmt.Errorf("weights: variable %s: %w", v.Path(), err)
	}
	want := int64(shapes.Make(dtype, v.Shape...).Memory())
	if v.Length != want || v.Offset < 0 || v.Offset+v.Length > payloadBytes {
		return fmt.Errorf("weights: variable %s: %d bytes at offset %d, want %d bytes for %s%v within %d: the file is corrupt",
			v.Path(), v.Length, v.Offset, want, v.DType, v.Shape, payloadBytes)
	}
	return nil
}

func parseDType(name string) (dtypes.DType, error) {
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64, dtypes.Int32, dtypes.Int64, dtypes.Uint32, dtypes.Uint64, dtypes.Uint8} {
		if dtype.String() == name {
			return dtype, nil
		}
	}
	return dtypes.InvalidDType, fmt.Errorf("unsupported dtype %q", name)
}

// Tensor returns the variable's value as a tensor.
func (v WeightsVariable) Tensor() (*tensors.Tensor, error) {
	dtype, err := parseDType(v.DType)
	if err != nil {
		return nil, fmt.Errorf("weights: variable %s: %w", v.Path(), err)
	}
	t := tensors.FromShape(shapes.Make(dtype, v.Shape...))
	if err := t.MutableBytes(func(raw []byte) { copy(raw, v.Data) }); err != nil {
		return nil, fmt.Errorf("weights: variable %s: %w", v.Path(), err)
	}
	return t, nil
}

// LoadInto sets every variable of the file in ctx, creating it where needed.
// Build the model afterwards with ctx.Reuse(), so a variable that the file
// lacks, or has with another shape, fails the build with its name.
func (f *WeightsFile) LoadInto(ctx *context.Context) error {
	for _, v := range f.Variables {
		value, err := v.Tensor()
		if err != nil {
			return err
		}
		scoped := ctx.InAbsPath(v.Scope).Checked(false)
		if existing := scoped.GetVariableByScopeAndName(v.Scope, v.Name); existing != nil {
			if !existing.Shape().Equal(value.Shape()) {
				return fmt.Errorf("weights: variable %s has shape %s in the file but %s in the model", v.Path(), value.Shape(), existing.Shape())
			}
			if err := existing.SetValue(value); err != nil {
				return fmt.Errorf("weights: setting variable %s: %w", v.Path(), err)
			}
			continue
		}
		scoped.VariableWithValue(v.Name, value)
	}
	return nil
}

// CheckMatches reports an error naming the first difference between the
// file's Config and cfg, for loading weights into an existing model.
func (f *WeightsFile) CheckMatches(cfg Config) error {
	got, _ := json.Marshal(f.Config)
	want, _ := json.Marshal(cfg)
	if !bytes.Equal(got, want) {
		return fmt.Errorf("weights: file contains preset %q %s, but the model is preset %q %s: load a file of preset %q or choose preset %q",
			f.Config.Preset, got, cfg.Preset, want, cfg.Preset, f.Config.Preset)
	}
	return nil
}
