package lucet

/*
#include <stdint.h>
#include <stdlib.h>
#include "trampoline.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

// ExportedFunc is an exported function of one instance, looked up once
// (Instance.Lookup): Call skips the name lookup (lucet_func_call) and
// reuses its argument and result buffers, so a call costs a fraction of
// Run's. Like its instance, use it from one goroutine at a time; after the
// instance is closed, Call returns an error.
type ExportedFunc struct {
	inst   *Instance
	f      C.struct_lucet_func
	name   string
	params []ValType // the export's parameter types (for plain int arguments)
	argv   []C.struct_lucet_val
	buf    []C.struct_lucet_val
	res    C.struct_lucet_result
}

// Lookup finds the exported function `name` for repeated calls.
// Errors: *Error (lucet_error_func_not_found: no function export of that
// name; lucet_error_unsupported: funcref parameters or results).
func (inst *Instance) Lookup(name string) (*ExportedFunc, error) {
	if inst.h == nil {
		return nil, errors.New("lucet: Lookup on a closed instance")
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	e := &ExportedFunc{inst: inst, name: name}
	runtime.LockOSThread() // the error message is this thread's
	defer runtime.UnlockOSThread()
	if code := C.lucet_instance_func(inst.h, cname, &e.f); code != C.lucet_error_ok {
		return nil, fmt.Errorf("%s: %w", name, lastError(code))
	}
	nres := 8
	if inst.mod != nil && inst.mod.h != nil {
		if et, ok, err := inst.mod.Export(name); err == nil && ok && et.Kind == KindFunc {
			e.params = et.Params
			if len(et.Results) > nres {
				nres = len(et.Results)
			}
		}
	}
	e.buf = make([]C.struct_lucet_val, nres)
	return e, nil
}

// Call runs the function with arguments typed as for Run, with the same
// results and errors.
func (e *ExportedFunc) Call(args ...interface{}) ([]Val, error) {
	inst := e.inst
	if inst.h == nil {
		return nil, fmt.Errorf("lucet: %s: Call on a closed instance", e.name)
	}
	if cap(e.argv) < len(args) {
		e.argv = make([]C.struct_lucet_val, len(args))
	}
	argv := e.argv[:len(args)]
	if err := toCVals(e.name, e.params, args, argv); err != nil {
		return nil, err
	}
	var argp *C.struct_lucet_val
	if len(argv) > 0 {
		argp = &argv[0]
	}
	runtime.LockOSThread() // the error message is this thread's
	defer runtime.UnlockOSThread()
	for {
		var got C.size_t
		code := C.lg_func_call(&e.f, C.size_t(len(argv)), argp, &e.buf[0], C.size_t(len(e.buf)), &got, &e.res)
		if code == C.lucet_error_buffer_too_small && int(got) > len(e.buf) {
			e.buf = make([]C.struct_lucet_val, int(got)) // the guest has not run
			continue
		}
		if err := inst.result(code, &e.res, nil); err != nil {
			return nil, fmt.Errorf("%s: %w", e.name, err)
		}
		out := make([]Val, int(got))
		for i := range out {
			v := &e.buf[i]
			out[i] = Val{Type: ValType(v.ty), bits: uint64(C.lv_lo(v)), hi: uint64(C.lv_hi(v))}
		}
		return out, nil
	}
}
