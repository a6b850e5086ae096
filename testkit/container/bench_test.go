package container

import (
	"testing"
	"time"
)

// BenchmarkDevImage measures what finding the image built from the source
// costs a test binary when that image exists: go build (a cache hit), the
// hash of binary and Dockerfile, and a look at the daemon; the first Start
// of each test binary pays it once. Report it with
//
//	go test -run '^$' -bench DevImage -benchtime 20x ./testkit/container
func BenchmarkDevImage(b *testing.B) {
	d, err := procs.docker()
	if err != nil {
		b.Skip(err)
	}
	if _, err := d.devImage(b, devRepository); err != nil { // build it if missing
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		d.buildMu.Lock()
		clear(d.devRefs) // found once per process: forget it
		d.buildMu.Unlock()
		if _, err := d.devImage(b, devRepository); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStartToHealthy measures a new container from create to the
// first 200 from /healthz (the image present, no fixtures): what the first
// test of a package waits for. Report it with
//
//	go test -run '^$' -bench StartToHealthy -benchtime 20x ./testkit/container
func BenchmarkStartToHealthy(b *testing.B) {
	d, err := procs.docker()
	if err != nil {
		b.Skip(err)
	}
	ref, err := d.devImage(b, devRepository)
	if err != nil {
		b.Fatal(err)
	}
	o := options{image: ref, startTimeout: defaultStartTimeout}
	files, err := readFixtures(nil)
	if err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		c, err := d.run(o, files)
		total += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := c.remove(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-healthy/op")
}

// BenchmarkStartShared measures what each further test pays once the
// container runs: Start of a fresh namespace (admin calls for the
// namespace and the default caller) and its cleanup.
func BenchmarkStartShared(b *testing.B) {
	if _, err := procs.docker(); err != nil {
		b.Skip(err)
	}
	r := newRegistry()
	b.Cleanup(func() { r.shutdown() })
	start(b, r) // starts the container and keeps it
	b.ResetTimer()
	for range b.N {
		s := start(b, r)
		s.Close()
	}
}
