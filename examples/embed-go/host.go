// host.go: the host function the guest imports, written in Go. A file with
// //export may only declare things in its cgo preamble.
package main

/*
#include <stdint.h>
#include <lucet_wasi.h>
uintptr_t vmctx_handle(struct lucet_vmctx *ctx);
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
)

// goHostScale is env.host_scale: (i64) -> i64. The guest calls it from
// generated code; the embedder context (a cgo.Handle) leads to the Scaler.
//
//export goHostScale
func goHostScale(ctx *C.struct_lucet_vmctx, x C.uint64_t) C.uint64_t {
	s := cgo.Handle(C.vmctx_handle(ctx)).Value().(*Scaler)
	s.Calls++
	fmt.Printf("host_scale(%d) called\n", int64(x))
	return C.uint64_t(uint64(int64(x) * s.Factor))
}
