// host.go: host functions written in Go, called from trampoline.c's
// callback by id. A file with //export may only declare things in its cgo preamble.
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
	"runtime"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// HostFunc is a host function's Go body: args typed by the Func's params;
// it returns one Val per result, of the result's type, in order (nil or an
// empty slice for none), or an error. An error, a panic, or results of the
// wrong count or types stop the guest at once; Run returns a *HostError.
type HostFunc func(c *Caller, args []Val) ([]Val, error)

// Func is a host function: a signature and its Go body, behind one of the
// process's host thunks (LUCET_HOST_THUNKS, 4096, shared with other users
// of the library) until Close. One Func may serve any number of imports
// and instances.
type Func struct {
	params, results   []ValType
	fn                HostFunc
	id                uintptr
	thunk             *C.struct_lucet_host_thunk
	ptr               C.lucet_host_func_ptr
	cParams, cResults *C.enum_lucet_val_type
}

var (
	funcsMu  sync.RWMutex
	funcByID = map[uintptr]*Func{}
	nextID   uintptr
)

// NewFunc makes a host function of type (params) -> (results): any number
// of parameters and results of types I32, I64, F32, F64, V128, ExternRef.
func NewFunc(params, results []ValType, fn HostFunc) (*Func, error) {
	for _, t := range append(append([]ValType{}, params...), results...) {
		switch t {
		case I32, I64, ExternRef, F32, F64, V128:
		default:
			return nil, fmt.Errorf("lucet: host functions cannot take or return %v", t)
		}
	}
	if fn == nil {
		return nil, errors.New("lucet: NewFunc: nil function")
	}
	f := &Func{params: append([]ValType{}, params...), results: append([]ValType{}, results...), fn: fn}
	f.cParams = cTypes(params)
	f.cResults = cTypes(results)
	funcsMu.Lock()
	nextID++
	f.id = nextID
	funcByID[f.id] = f
	funcsMu.Unlock()
	runtime.LockOSThread() // the error message is this thread's
	defer runtime.UnlockOSThread()
	if code := C.lg_thunk_new(f.cParams, C.uint32_t(len(params)), f.cResults, C.uint32_t(len(results)), C.uintptr_t(f.id),
		&f.thunk, &f.ptr); code != C.lucet_error_ok {
		err := fmt.Errorf("lucet: NewFunc: %s: %s", C.GoString(C.lucet_error_name(code)), C.GoString(C.lucet_error_message()))
		f.Close()
		return nil, err
	}
	return f, nil
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

// Close releases the Func's thunk. Instances created with it must be
// closed first.
func (f *Func) Close() {
	funcsMu.Lock()
	defer funcsMu.Unlock()
	if funcByID[f.id] != f {
		return
	}
	delete(funcByID, f.id)
	if f.thunk != nil {
		C.lucet_host_thunk_release(f.thunk)
		f.thunk, f.ptr = nil, nil
	}
	f.free()
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
	funcsMu.RLock()
	f := funcByID[uintptr(call.id)]
	funcsMu.RUnlock()
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
		fail(errors.New("lucet: a host function with no Func (closed while in use?)"))
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
	for i := range f.params {
		v := C.lv_at(call.params, C.uint32_t(i))
		args[i] = Val{Type: ValType(v.ty), bits: uint64(C.lv_lo(v)), hi: uint64(C.lv_hi(v))}
	}
	out, err := f.fn(&Caller{inst: inst, ctx: call.ctx}, args)
	if err != nil {
		fail(err)
		return
	}
	if len(out) != len(f.results) {
		fail(fmt.Errorf("returned %d values for %d results %v", len(out), len(f.results), f.results))
		return
	}
	for i, v := range out {
		if v.Type != f.results[i] {
			fail(fmt.Errorf("returned %v for the %v result %d", v.Type, f.results[i], i))
			return
		}
	}
	for i, v := range out {
		C.lv_set((*C.struct_lucet_val)(unsafe.Pointer(C.lv_at(call.results, C.uint32_t(i)))), C.int(v.Type),
			C.uint64_t(v.bits), C.uint64_t(v.hi))
	}
}
