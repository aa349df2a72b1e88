// host.go: host functions written in Go, dispatched from trampoline.c by
// slot. A file with //export may only declare things in its cgo preamble.
package lucet

/*
#include <stdint.h>
#include <stdlib.h>
#include "trampoline.h"
uintptr_t lg_vmctx_handle(struct lucet_vmctx *ctx);
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// HostFunc is a host function's Go body: args typed by the Func's params;
// it returns one Val per result (of the result's type), or an error, which
// stops the guest (so does a panic).
type HostFunc func(c *Caller, args []Val) ([]Val, error)

// Func is a host function: a signature and its Go body, in one of the
// process's slots (LUCET_GO_SLOTS, 512) until Close. One Func may serve any
// number of imports and instances.
type Func struct {
	params, results   []ValType
	fn                HostFunc
	slot              int
	cParams, cResults *C.enum_lucet_val_type
}

var (
	slotsMu sync.RWMutex
	slots   [C.LUCET_GO_SLOTS]*Func
)

// NewFunc makes a host function of type (params) -> (results). Limits (the
// C API and the trampoline's): at most one result; at most 5 integer (i32,
// i64, externref) and 8 float (f32, f64) parameters; no v128.
func NewFunc(params, results []ValType, fn HostFunc) (*Func, error) {
	if len(results) > 1 {
		return nil, errors.New("lucet: a Go host function returns at most one value (the generic trampoline returns one register)")
	}
	ni, nf := 0, 0
	for _, t := range append(append([]ValType{}, params...), results...) {
		switch t {
		case I32, I64, ExternRef, F32, F64:
		default:
			return nil, fmt.Errorf("lucet: host functions cannot take or return %v", t)
		}
	}
	for _, t := range params {
		if t.isInt() {
			ni++
		} else {
			nf++
		}
	}
	if ni > C.LUCET_GO_MAX_INT_PARAMS || nf > C.LUCET_GO_MAX_FLOAT_PARAMS {
		return nil, fmt.Errorf("lucet: a Go host function takes at most %d integer and %d float parameters, got %d and %d",
			C.LUCET_GO_MAX_INT_PARAMS, C.LUCET_GO_MAX_FLOAT_PARAMS, ni, nf)
	}
	f := &Func{params: append([]ValType{}, params...), results: append([]ValType{}, results...), fn: fn, slot: -1}
	f.cParams = cTypes(params)
	f.cResults = cTypes(results)
	slotsMu.Lock()
	defer slotsMu.Unlock()
	for i := range slots {
		if slots[i] == nil {
			slots[i] = f
			f.slot = i
			return f, nil
		}
	}
	f.free()
	return nil, fmt.Errorf("lucet: all %d host function slots are in use (Close unused Funcs)", C.LUCET_GO_SLOTS)
}

// MustFunc is NewFunc that panics on error.
func MustFunc(params, results []ValType, fn HostFunc) *Func {
	f, err := NewFunc(params, results, fn)
	if err != nil {
		panic(err)
	}
	return f
}

func cTypes(ts []ValType) *C.enum_lucet_val_type {
	p := (*C.enum_lucet_val_type)(C.calloc(C.size_t(len(ts)+1), C.size_t(unsafe.Sizeof(C.enum_lucet_val_type(0)))))
	s := unsafe.Slice(p, len(ts)+1)
	for i, t := range ts {
		s[i] = C.enum_lucet_val_type(t)
	}
	return p
}

func (f *Func) free() {
	C.free(unsafe.Pointer(f.cParams))
	C.free(unsafe.Pointer(f.cResults))
	f.cParams, f.cResults = nil, nil
}

// Close frees the Func's slot. Instances created with it must be closed first.
func (f *Func) Close() {
	slotsMu.Lock()
	defer slotsMu.Unlock()
	if f.slot >= 0 {
		slots[f.slot] = nil
		f.slot = -1
		f.free()
	}
}

// Caller is what a host function sees of the instance calling it.
type Caller struct {
	inst *Instance
	ctx  *C.struct_lucet_vmctx
}

// Memory is the calling guest's linear memory (nil without one), valid
// during the call.
func (c *Caller) Memory() []byte {
	n := uint64(C.lucet_vmctx_current_memory(c.ctx)) << 16
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(C.lucet_vmctx_get_heap(c.ctx))), int(n))
}

// Instance is the calling instance.
func (c *Caller) Instance() *Instance { return c.inst }

//export lucetGoDispatch
func lucetGoDispatch(call *C.struct_lg_call) {
	slotsMu.RLock()
	f := slots[int(call.slot)]
	slotsMu.RUnlock()
	inst, _ := cgo.Handle(C.lg_vmctx_handle(call.ctx)).Value().(*Instance)
	fail := func(err error) {
		call.failed = 1
		if inst != nil {
			inst.mu.Lock()
			if inst.hostErr == nil {
				inst.hostErr = &HostError{Err: err}
			}
			inst.mu.Unlock()
		}
	}
	if f == nil || inst == nil {
		fail(errors.New("lucet: a host function slot with no Func (closed while in use?)"))
		return
	}
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				fail(fmt.Errorf("panic: %w", e))
			} else {
				fail(fmt.Errorf("panic: %v", r))
			}
		}
	}()
	args := make([]Val, len(f.params))
	ni, nf := 0, 0
	for i, t := range f.params {
		var bits uint64
		if t.isInt() {
			bits = uint64(call.ints[ni])
			ni++
		} else {
			bits = uint64(call.floats[nf])
			nf++
		}
		if t == I32 || t == F32 {
			bits &= math.MaxUint32
		}
		args[i] = Val{Type: t, bits: bits}
	}
	out, err := f.fn(&Caller{inst: inst, ctx: call.ctx}, args)
	if err != nil {
		fail(err)
		return
	}
	if len(out) != len(f.results) {
		fail(fmt.Errorf("returned %d values for %d results", len(out), len(f.results)))
		return
	}
	if len(out) == 1 {
		if out[0].Type != f.results[0] {
			fail(fmt.Errorf("returned %v for a %v result", out[0].Type, f.results[0]))
			return
		}
		call.result = C.uint64_t(out[0].bits)
	}
}
