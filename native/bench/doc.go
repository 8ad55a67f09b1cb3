// Package bench contains Go benchmarks of the Unmix model: training and
// inference throughput and peak memory of each preset on each compute
// backend that loads on the machine (XLA CPU and the pure-Go simplego).
//
// Run them with `make bench`, or with
//
//	go test ./native/bench -run '^$' -bench . -benchtime 3x
//
// XLA CPU needs the PJRT plugin from `make xla-plugin` and
// PJRT_PLUGIN_LIBRARY_PATH pointing at its folder. Without it, only the
// simplego benchmarks run.
package bench
