// Package lucet embeds liblucet_wasi (the lucet-wasi WebAssembly runtime)
// in Go, with cgo. The library is found with pkg-config (lucet_wasi.pc).
//
//	m, err := lucet.LoadWasm("guest.wasm", 2)       // compiled once, then cached
//	r, err := lucet.NewRegion(4)
//	scale := lucet.MustFunc([]lucet.ValType{lucet.I64}, []lucet.ValType{lucet.I64},
//		func(c *lucet.Caller, args []lucet.Val) ([]lucet.Val, error) {
//			return []lucet.Val{lucet.ValI64(args[0].I64() * 3)}, nil
//		})
//	inst, err := r.NewInstance(m, lucet.Config{Imports: []lucet.Import{{"env", "host_scale", scale}}})
//	res, err := inst.Run("add", int32(40), int32(2)) // res[0].I32() == 42
//	exports, err := m.Exports() // names, kinds and types (ExternType)
//
// Host functions are Go functions of any signature (any number of
// parameters and results, v128 as [16]byte through ValV128/V128): the
// library's host thunks (lucet_host_thunk_new) call one C callback
// (trampoline.c), which runs the Go function on a stack of its own. A host
// function that returns an error, wrong results or panics stops the guest
// at once; Run returns a *HostError wrapping it.
//
// Preopened directories are given HOST then GUEST, like the C API and
// `lucet-wasi --dir HOST::GUEST`: Preopen{"/srv/data", "/data"}.
//
// Signals: the runtime installs its SIGSEGV/SIGBUS/SIGFPE/SIGILL handlers when
// the first region is created and passes faults that are not a guest's to
// the handler that was there before (Go's): Go's nil-dereference panics still
// work.
package lucet

/*
#cgo pkg-config: lucet_wasi
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "trampoline.h"

// The union in struct lucet_val is a byte array to Go: accessors in trampoline.c (lv_*).
static const struct lucet_val *lr_value(const struct lucet_result *r, uint32_t i) { return &r->val.returned.values[i]; }
static uint32_t lr_nvalues(const struct lucet_result *r) { return r->val.returned.nvalues; }
static int lr_trap_code(const struct lucet_result *r) { return r->val.faulted.code; }
static uint32_t lr_exit_code(const struct lucet_result *r) { return r->val.terminated.exit_code; }
static uint32_t lr_killed(const struct lucet_result *r) { return r->val.terminated.killed; }
// An embedder context is an integer (a cgo.Handle), never a Go pointer.
static void *handle_to_ptr(uintptr_t h) { return (void *)h; }

*/
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// ValType is a WebAssembly value type.
type ValType int

const (
	I32       ValType = 0x7f
	I64       ValType = 0x7e
	F32       ValType = 0x7d
	F64       ValType = 0x7c
	V128      ValType = 0x7b
	ExternRef ValType = 0x6f
	FuncRef   ValType = 0x70 // in introspection only
)

func (t ValType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	case V128:
		return "v128"
	case ExternRef:
		return "externref"
	case FuncRef:
		return "funcref"
	}
	return fmt.Sprintf("ValType(0x%x)", int(t))
}

func (t ValType) isInt() bool { return t == I32 || t == I64 || t == ExternRef }

// Val is a typed WebAssembly value. A v128 is 16 bytes in WebAssembly's
// order (little-endian lanes), as v128.store writes them: ValV128 / V128.
type Val struct {
	Type ValType
	bits uint64 // the value; a v128's bytes 0..7 (little-endian)
	hi   uint64 // a v128's bytes 8..15
}

func ValI32(v int32) Val        { return Val{I32, uint64(uint32(v)), 0} }
func ValI64(v int64) Val        { return Val{I64, uint64(v), 0} }
func ValF32(v float32) Val      { return Val{F32, uint64(math.Float32bits(v)), 0} }
func ValF64(v float64) Val      { return Val{F64, math.Float64bits(v), 0} }
func ValExternRef(v uint64) Val { return Val{ExternRef, v, 0} }

// ValV128 is a v128 of the 16 bytes b (b[0] is the low byte of lane 0).
func ValV128(b [16]byte) Val {
	return Val{V128, binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}
}

// V128 is a v128's 16 bytes (zero for other types).
func (v Val) V128() (b [16]byte) {
	if v.Type == V128 {
		binary.LittleEndian.PutUint64(b[:8], v.bits)
		binary.LittleEndian.PutUint64(b[8:], v.hi)
	}
	return b
}

func (v Val) I32() int32        { return int32(uint32(v.bits)) }
func (v Val) I64() int64        { return int64(v.bits) }
func (v Val) F32() float32      { return math.Float32frombits(uint32(v.bits)) }
func (v Val) F64() float64      { return math.Float64frombits(v.bits) }
func (v Val) ExternRef() uint64 { return v.bits }

func (v Val) String() string {
	switch v.Type {
	case I32:
		return fmt.Sprintf("i32(%d)", v.I32())
	case I64:
		return fmt.Sprintf("i64(%d)", v.I64())
	case F32:
		return fmt.Sprintf("f32(%g)", v.F32())
	case F64:
		return fmt.Sprintf("f64(%g)", v.F64())
	case V128:
		b := v.V128()
		return fmt.Sprintf("v128(%x)", b[:])
	}
	return fmt.Sprintf("%v(%#x)", v.Type, v.bits)
}

// toVal types a Run argument by its Go type: int32/uint32 -> i32,
// int64/uint64/int -> i64, float32 -> f32, float64 -> f64, [16]byte ->
// v128, or a Val (Run
// types a plain int by the parameter first, intAs).
func toVal(a interface{}) (Val, error) {
	switch v := a.(type) {
	case Val:
		return v, nil
	case int32:
		return ValI32(v), nil
	case uint32:
		return ValI32(int32(v)), nil
	case int64:
		return ValI64(v), nil
	case uint64:
		return ValI64(int64(v)), nil
	case int:
		return ValI64(int64(v)), nil
	case float32:
		return ValF32(v), nil
	case float64:
		return ValF64(v), nil
	case [16]byte:
		return ValV128(v), nil
	}
	return Val{}, fmt.Errorf("unsupported argument type %T (use int32, int64, float32, float64, [16]byte or a lucet.Val)", a)
}

// Error is a failing C API call.
type Error struct {
	Code    int    // the enum lucet_error number
	Name    string // "lucet_error_func_not_found", ...
	Message string // the library's message
}

func (e *Error) Error() string { return e.Name + ": " + e.Message }

// Trap is a guest trap; the instance stays usable.
type Trap struct {
	Code int    // enum lucet_trap_code
	Name string // the spec's text: "integer divide by zero", ...
}

func (t *Trap) Error() string { return "wasm trap: " + t.Name }

// ErrorName is the C API's name of the error a trap is,
// "lucet_error_runtime_fault".
func (t *Trap) ErrorName() string { return C.GoString(C.lucet_error_name(C.lucet_error_runtime_fault)) }

// Exit is a guest that exited (WASI proc_exit) or was stopped by a kill switch.
type Exit struct {
	Code   uint32
	Killed bool
}

func (e *Exit) Error() string {
	if e.Killed {
		return "stopped by a kill switch"
	}
	return fmt.Sprintf("guest exited with %d", e.Code)
}

// HostError is a host function that returned an error or panicked: the
// guest was stopped at once. Err is the error (a panic's value wrapped in one).
type HostError struct {
	Err error
}

func (e *HostError) Error() string { return "host function failed: " + e.Err.Error() }
func (e *HostError) Unwrap() error { return e.Err }

func lastError(code C.enum_lucet_error) *Error {
	return &Error{Code: int(code), Name: C.GoString(C.lucet_error_name(code)), Message: C.GoString(C.lucet_error_message())}
}

// call runs one C API call and, if it fails, reads its message. The
// message is per OS thread: both happen with the goroutine locked to it.
func call(f func() C.enum_lucet_error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if code := f(); code != C.lucet_error_ok {
		return lastError(code)
	}
	return nil
}

// Version is the library's version, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.lucet_version()) }

// Region holds address space for a number of instances.
type Region struct{ h *C.struct_lucet_region }

// NewRegion reserves address space for capacity instances (default limits).
func NewRegion(capacity uint64) (*Region, error) {
	r := &Region{}
	if err := call(func() C.enum_lucet_error { return C.lucet_mmap_region_create(C.uint64_t(capacity), nil, &r.h) }); err != nil {
		return nil, err
	}
	return r, nil
}

// Close releases the region (its memory goes with its last instance).
func (r *Region) Close() {
	if r.h != nil {
		C.lucet_region_release(r.h)
		r.h = nil
	}
}

// Module is a loaded module.
type Module struct{ h *C.struct_lucet_dl_module }

// LoadModule loads a .so compiled by lucetc.
func LoadModule(path string) (*Module, error) {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	m := &Module{}
	if err := call(func() C.enum_lucet_error { return C.lucet_dl_module_load(cs, &m.h) }); err != nil {
		return nil, err
	}
	return m, nil
}

// LoadWasm loads a .wasm through the compile cache lucet-wasi uses
// ($XDG_CACHE_HOME/lucet, else ~/.cache/lucet), compiling it with the C
// compiler at -O<optLevel> the first time.
func LoadWasm(path string, optLevel int) (*Module, error) {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	m := &Module{}
	if err := call(func() C.enum_lucet_error { return C.lucet_dl_module_load_wasm(cs, C.int(optLevel), &m.h) }); err != nil {
		return nil, err
	}
	return m, nil
}

// Close releases the module (instances keep it loaded while they live).
func (m *Module) Close() {
	if m.h != nil {
		C.lucet_dl_module_release(m.h)
		m.h = nil
	}
}

// Preopen is a directory the guest sees: HOST directory, then GUEST path.
type Preopen struct{ Host, Guest string }

// Wasi is what a WASI guest sees. Stdio (when InheritStdio) is fds 0-2,
// the preopens follow from fd 3 in order.
type Wasi struct {
	Args         []string
	Env          map[string]string
	InheritEnv   bool
	InheritStdio bool
	Preopens     []Preopen
}

// Import provides a host function for the guest's import Module.Name.
type Import struct {
	Module, Name string
	Func         *Func
}

// Config is what NewInstance links: host functions and optionally WASI.
type Config struct {
	Imports []Import
	Wasi    *Wasi
}

// Instance is an instance of a module in a region.
type Instance struct {
	h      *C.struct_lucet_instance
	handle cgo.Handle
	mod    *Module // for the export types that plain int arguments take

	mu      sync.Mutex
	hostErr *HostError // the error of the host function that stopped the run
}

func (w *Wasi) build() (*C.struct_lucet_wasi_ctx, error) {
	var ctx *C.struct_lucet_wasi_ctx
	if err := call(func() C.enum_lucet_error { return C.lucet_wasi_ctx_create(&ctx) }); err != nil {
		return nil, err
	}
	fail := func(err error) (*C.struct_lucet_wasi_ctx, error) {
		C.lucet_wasi_ctx_destroy(ctx)
		return nil, err
	}
	if len(w.Args) > 0 {
		cargs := make([]*C.char, len(w.Args))
		for i, a := range w.Args {
			cargs[i] = C.CString(a)
			defer C.free(unsafe.Pointer(cargs[i]))
		}
		argv := (**C.char)(C.malloc(C.size_t(len(cargs)) * C.size_t(unsafe.Sizeof(cargs[0]))))
		defer C.free(unsafe.Pointer(argv))
		copy(unsafe.Slice(argv, len(cargs)), cargs)
		if err := call(func() C.enum_lucet_error { return C.lucet_wasi_ctx_args(ctx, C.size_t(len(cargs)), argv) }); err != nil {
			return fail(err)
		}
	}
	if w.InheritEnv {
		if err := call(func() C.enum_lucet_error { return C.lucet_wasi_ctx_inherit_env(ctx) }); err != nil {
			return fail(err)
		}
	}
	for k, v := range w.Env {
		ck, cv := C.CString(k), C.CString(v)
		err := call(func() C.enum_lucet_error { return C.lucet_wasi_ctx_env(ctx, ck, cv) })
		C.free(unsafe.Pointer(ck))
		C.free(unsafe.Pointer(cv))
		if err != nil {
			return fail(fmt.Errorf("environment variable %q: %w", k, err))
		}
	}
	if w.InheritStdio {
		if err := call(func() C.enum_lucet_error { return C.lucet_wasi_ctx_inherit_stdio(ctx) }); err != nil {
			return fail(err)
		}
	}
	for _, p := range w.Preopens {
		ch, cg := C.CString(p.Host), C.CString(p.Guest)
		err := call(func() C.enum_lucet_error { return C.lucet_wasi_ctx_preopen_dir(ctx, ch, cg) })
		C.free(unsafe.Pointer(ch))
		C.free(unsafe.Pointer(cg))
		if err != nil {
			return fail(fmt.Errorf("preopen %s::%s: %w", p.Host, p.Guest, err))
		}
	}
	return ctx, nil
}

// NewInstance instantiates m with cfg's host functions and WASI, then runs
// its start function (which may call host functions).
func (r *Region) NewInstance(m *Module, cfg Config) (*Instance, error) {
	n := len(cfg.Imports)
	sz := C.size_t(unsafe.Sizeof(C.struct_lucet_host_func{}))
	funcs := (*C.struct_lucet_host_func)(C.calloc(C.size_t(n+1), sz))
	defer C.free(unsafe.Pointer(funcs))
	fs := unsafe.Slice(funcs, n+1)
	for i, imp := range cfg.Imports {
		if imp.Func == nil || imp.Func.ptr == nil {
			return nil, fmt.Errorf("import %s.%s: no function (or a closed one)", imp.Module, imp.Name)
		}
		f := imp.Func
		cm, cn := C.CString(imp.Module), C.CString(imp.Name)
		defer C.free(unsafe.Pointer(cm))
		defer C.free(unsafe.Pointer(cn))
		fs[i].module_name, fs[i].field_name = cm, cn
		fs[i]._func = f.ptr
		fs[i].params, fs[i].nparams = f.cParams, C.uint32_t(len(f.params))
		fs[i].results, fs[i].nresults = f.cResults, C.uint32_t(len(f.results))
	}
	var wctx *C.struct_lucet_wasi_ctx
	if cfg.Wasi != nil {
		var err error
		if wctx, err = cfg.Wasi.build(); err != nil {
			return nil, err
		}
	}
	inst := &Instance{mod: m}
	inst.handle = cgo.NewHandle(inst)
	if err := call(func() C.enum_lucet_error {
		return C.lucet_region_new_instance_with_options(r.h, m.h, funcs, C.size_t(n), C.handle_to_ptr(C.uintptr_t(inst.handle)),
			wctx, C.LUCET_INSTANCE_DEFER_START, &inst.h)
	}); err != nil {
		inst.handle.Delete()
		return nil, err
	}
	// The start function runs here, where host functions have a stack.
	res := (*C.struct_lucet_result)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_lucet_result{}))))
	defer C.free(unsafe.Pointer(res))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := inst.result(C.lg_run_start(inst.h, res), res, nil); err != nil {
		inst.Close()
		return nil, fmt.Errorf("start function: %w", err)
	}
	return inst, nil
}

// Run calls an exported function. Arguments are typed by their Go types
// (int32/uint32: i32, int64/uint64: i64, float32: f32, float64: f64,
// [16]byte: v128) or
// given as Vals; a plain int takes the parameter's type (i32: from
// -2^31 to 2^32-1, i64: any, f32/f64: if exact), with an error naming
// the argument on overflow or for a v128/reference parameter.
// Errors: *Trap (the instance stays usable), *HostError, *Exit, *Error.
func (inst *Instance) Run(name string, args ...interface{}) ([]Val, error) {
	if inst.h == nil {
		return nil, errors.New("lucet: Run on a closed instance")
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	n := len(args)
	argv := (*C.struct_lucet_val)(C.calloc(C.size_t(n+1), C.size_t(unsafe.Sizeof(C.struct_lucet_val{}))))
	defer C.free(unsafe.Pointer(argv))
	vals := unsafe.Slice(argv, n+1)
	if err := toCVals(name, inst.paramsForInts(name, args), args, vals); err != nil {
		return nil, err
	}
	res := (*C.struct_lucet_result)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_lucet_result{}))))
	defer C.free(unsafe.Pointer(res))
	runtime.LockOSThread() // the error message is this thread's
	defer runtime.UnlockOSThread()
	// Any number of results (lucet_instance_call): a buffer of 8, and when
	// the export has more, the size the library asks for (the guest has
	// not run then).
	cap := 8
	for {
		buf := (*C.struct_lucet_val)(C.calloc(C.size_t(cap), C.size_t(unsafe.Sizeof(C.struct_lucet_val{}))))
		var got C.size_t
		code := C.lg_call(inst.h, cname, C.size_t(n), argv, buf, C.size_t(cap), &got, res)
		if code == C.lucet_error_buffer_too_small && int(got) > cap {
			C.free(unsafe.Pointer(buf))
			cap = int(got)
			continue
		}
		err := inst.result(code, res, nil)
		var out []Val
		if err == nil {
			out = make([]Val, int(got))
			for i, v := range unsafe.Slice(buf, cap)[:int(got)] {
				out[i] = Val{Type: ValType(v.ty), bits: uint64(C.lv_lo(&v)), hi: uint64(C.lv_hi(&v))}
			}
		}
		C.free(unsafe.Pointer(buf))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return out, nil
	}
}

// toCVals converts Run's and Call's arguments into out[0..len(args)):
// params (may be nil) types the plain ints.
func toCVals(name string, params []ValType, args []interface{}, out []C.struct_lucet_val) error {
	for i, a := range args {
		var v Val
		var err error
		if k, isInt := a.(int); isInt && i < len(params) {
			v, err = intAs(k, params[i])
		} else {
			v, err = toVal(a)
		}
		if err != nil {
			return fmt.Errorf("%s: argument %d: %w", name, i, err)
		}
		out[i] = C.lv_make(C.int(v.Type), C.uint64_t(v.bits), C.uint64_t(v.hi))
	}
	return nil
}

// paramsForInts is the parameter types of the export `name` when an
// argument is a plain int (nil when none is, or the module is closed, or
// `name` is no function: the call then reports what is wrong).
func (inst *Instance) paramsForInts(name string, args []interface{}) []ValType {
	for _, a := range args {
		if _, isInt := a.(int); isInt && inst.mod != nil && inst.mod.h != nil {
			if et, ok, err := inst.mod.Export(name); err == nil && ok && et.Kind == KindFunc {
				return et.Params
			}
			return nil
		}
	}
	return nil
}

// intAs is a plain int argument as a value of type t.
func intAs(k int, t ValType) (Val, error) {
	switch t {
	case I32:
		if k < math.MinInt32 || k > math.MaxUint32 {
			return Val{}, fmt.Errorf("int %d overflows the i32 parameter (-2^31 .. 2^32-1)", k)
		}
		return ValI32(int32(uint32(k))), nil
	case I64:
		return ValI64(int64(k)), nil
	case F32:
		if f := float32(k); int(f) != k || f >= 0x1p63 {
			return Val{}, fmt.Errorf("int %d is not exact as the f32 parameter", k)
		}
		return ValF32(float32(k)), nil
	case F64:
		if f := float64(k); int(f) != k || f >= 0x1p63 {
			return Val{}, fmt.Errorf("int %d is not exact as the f64 parameter", k)
		}
		return ValF64(float64(k)), nil
	}
	return Val{}, fmt.Errorf("an int cannot be the %v parameter (use a lucet.Val)", t)
}

func (inst *Instance) result(code C.enum_lucet_error, res *C.struct_lucet_result, out *[]Val) error {
	inst.mu.Lock()
	hostErr := inst.hostErr
	inst.hostErr = nil
	inst.mu.Unlock()
	switch {
	case hostErr != nil && code == C.lucet_error_runtime_terminated:
		return hostErr
	case code == C.lucet_error_runtime_fault && res.tag == C.lucet_result_tag_faulted:
		tc := C.lr_trap_code(res)
		return &Trap{Code: int(tc), Name: C.GoString(C.lucet_trap_code_name(C.enum_lucet_trap_code(tc)))}
	case code == C.lucet_error_runtime_terminated:
		if C.lr_exit_code(res) == C.LUCET_GO_HOST_ERROR+1 {
			return errors.New("a Go host function was called outside a run (no stack for it)")
		}
		return &Exit{Code: uint32(C.lr_exit_code(res)), Killed: C.lr_killed(res) != 0}
	case code != C.lucet_error_ok:
		return lastError(code)
	}
	if out != nil {
		*out = make([]Val, C.lr_nvalues(res))
		for i := range *out {
			v := C.lr_value(res, C.uint32_t(i))
			(*out)[i] = Val{Type: ValType(v.ty), bits: uint64(C.lv_lo(v)), hi: uint64(C.lv_hi(v))}
		}
	}
	return nil
}

// Memory is the guest's linear memory (nil without one). The slice stays
// valid while the instance lives; after a memory.grow call Memory again to
// see the new pages.
func (inst *Instance) Memory() []byte {
	n := C.lucet_instance_heap_len(inst.h)
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(C.lucet_instance_heap(inst.h))), int(n))
}

// Reset puts the instance back in its state right after instantiation.
func (inst *Instance) Reset() error {
	return call(func() C.enum_lucet_error { return C.lucet_instance_reset(inst.h) })
}

// KillSwitch stops an instance's run from any goroutine.
type KillSwitch struct{ h *C.struct_lucet_kill_switch }

// KillSwitch targets the run in progress, or the next one.
func (inst *Instance) KillSwitch() (*KillSwitch, error) {
	ks := &KillSwitch{}
	if err := call(func() C.enum_lucet_error { return C.lucet_instance_kill_switch(inst.h, &ks.h) }); err != nil {
		return nil, err
	}
	return ks, nil
}

// Terminate reports whether the targeted run will stop.
func (ks *KillSwitch) Terminate() bool {
	var stopped C.bool
	C.lucet_kill_switch_terminate(ks.h, &stopped)
	return bool(stopped)
}

// Close releases the kill switch.
func (ks *KillSwitch) Close() {
	if ks.h != nil {
		C.lucet_kill_switch_release(ks.h)
		ks.h = nil
	}
}

// Close releases the instance and its slot.
func (inst *Instance) Close() {
	if inst.h != nil {
		C.lucet_instance_release(inst.h)
		inst.h = nil
		inst.handle.Delete()
	}
}
