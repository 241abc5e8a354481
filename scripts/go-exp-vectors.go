// go-exp-vectors prints Go's math.Exp for the inputs runtime/pprof's scaleHeapSample gives
// it (-size/rate) and a spread of others, as Rust test vectors for
// crates/heapwise-core/src/pprof/goexp.rs:
//
//	go run scripts/go-exp-vectors.go > fma.txt
//	GODEBUG=cpu.fma=off go run scripts/go-exp-vectors.go > nofma.txt
package main

import (
	"fmt"
	"math"
)

func main() {
	var xs []float64
	for _, size := range []float64{8, 16, 24, 48, 64, 112, 2048, 4096, 12288, 27264, 98304, 262144, 1 << 20, 40 << 20} {
		for _, rate := range []float64{2, 512, 4096, 512 * 1024} {
			xs = append(xs, -size/rate)
		}
	}
	xs = append(xs, 1e-300, -1e-10, 0.5, 1, 2.5, 10, 100, 700, 709.7, -700, -708.5, -720, -745, -745.2, -746)
	for i := 0; i < 40; i++ {
		xs = append(xs, -float64(i*i)/37.3, float64(i)/3.7)
	}
	for _, x := range xs {
		fmt.Printf("%#x %#x\n", math.Float64bits(x), math.Float64bits(math.Exp(x)))
	}
}
