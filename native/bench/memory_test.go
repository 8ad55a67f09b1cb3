package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// peakMemoryReset records whether the last startPeakMemory reset VmHWM.
var peakMemoryReset bool

// startPeakMemory frees what the Go heap can return to the system and
// resets the process's peak resident set size (VmHWM in /proc/self/status)
// by writing "5" to /proc/self/clear_refs, which Linux supports since 4.0.
// Unlike runtime/metrics, VmHWM counts the XLA plugin's C++ allocations. It
// also counts what the test binary still holds from earlier benchmarks.
func startPeakMemory(b *testing.B) {
	b.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	peakMemoryReset = err == nil
	if err != nil {
		b.Logf("peak memory not measured: resetting VmHWM: %v", err)
	}
}

// reportPeakMemory reports the peak resident set size since
// startPeakMemory, in MB (10^6 bytes), as the metric peak-MB.
func reportPeakMemory(b *testing.B) {
	b.Helper()
	if !peakMemoryReset {
		return
	}
	kB, err := readVmHWM()
	if err != nil {
		b.Logf("peak memory not measured: %v", err)
		return
	}
	b.ReportMetric(float64(kB)*1024/1e6, "peak-MB")
}

// readVmHWM returns the peak resident set size in KiB from /proc/self/status.
func readVmHWM() (int64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		value, ok := strings.CutPrefix(scanner.Text(), "VmHWM:")
		if !ok {
			continue
		}
		// The line reads "VmHWM:   123456 kB".
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("/proc/self/status: unexpected VmHWM line %q", scanner.Text())
		}
		return strconv.ParseInt(fields[0], 10, 64)
	}
	return 0, fmt.Errorf("/proc/self/status has no VmHWM line")
}

func TestReadVmHWM(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	kB, err := readVmHWM()
	if err != nil {
		t.Fatal(err)
	}
	if kB <= 0 {
		t.Errorf("readVmHWM() = %d kB, want a positive size", kB)
	}
}
