// lucet.go: a small Go wrapper over liblucet_wasi's C API (lucet_wasi.h),
// with cgo. The library is found with pkg-config (lucet_wasi.pc).
//
// Signals: Go installs its own SIGSEGV/SIGBUS/SIGFPE handlers at start-up;
// the runtime installs its handlers when the first region is created, with
// SA_ONSTACK, and passes every fault that is not a guest's to the handler
// that was there before (Go's), so Go's nil-dereference panics still work
// and a guest trap comes back as an error value.
package main

/*
#cgo pkg-config: lucet_wasi
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <lucet_wasi.h>

// The union in struct lucet_val is a byte array to Go: small accessors.
static struct lucet_val lv_i32(uint32_t v) { struct lucet_val r; memset(&r, 0, sizeof r); r.ty = lucet_val_type_i32; r.inner_val.as_i32 = v; return r; }
static struct lucet_val lv_i64(uint64_t v) { struct lucet_val r; memset(&r, 0, sizeof r); r.ty = lucet_val_type_i64; r.inner_val.as_i64 = v; return r; }
static uint64_t lr_value_bits(const struct lucet_result *r, uint32_t i) {
	const struct lucet_val *v = &r->val.returned.values[i];
	return v->ty == lucet_val_type_i32 ? v->inner_val.as_i32 : v->inner_val.as_i64;
}
static int lr_value_type(const struct lucet_result *r, uint32_t i) { return r->val.returned.values[i].ty; }
static uint32_t lr_nvalues(const struct lucet_result *r) { return r->val.returned.nvalues; }
static int lr_trap_code(const struct lucet_result *r) { return r->val.faulted.code; }
static uint32_t lr_exit_code(const struct lucet_result *r) { return r->val.terminated.exit_code; }
static uint32_t lr_killed(const struct lucet_result *r) { return r->val.terminated.killed; }
// An embedder context is an integer (a cgo.Handle), never a Go pointer.
static void *handle_to_ptr(uintptr_t h) { return (void *)h; }
uintptr_t vmctx_handle(struct lucet_vmctx *ctx) { return (uintptr_t)lucet_vmctx_get_delegate(ctx); }

// Exported from host.go.
extern uint64_t goHostScale(struct lucet_vmctx *ctx, uint64_t x);

// Host functions are called on the guest's stack. Go (1.19) cannot take a
// cgo callback there: the callback runs Go code on the thread's system stack
// (g0), whose bounds Go knows, and dies with "morestack on g0" when the stack
// pointer is elsewhere. So runs keep 256 KiB of this thread's own stack
// unused (run_reserving) and host trampolines switch to it
// (call_on_stack) before calling into Go.
static __thread char *cb_stack_top;

static void call_on_stack(char *top, void (*fn)(void *), void *arg) {
	__asm__ volatile(
		"mov %%rsp, %%rbx\n\t"
		"mov %0, %%rsp\n\t"
		"and $-16, %%rsp\n\t"
		"mov %2, %%rdi\n\t"
		"call *%1\n\t"
		"mov %%rbx, %%rsp\n\t"
		:
		: "r"(top), "r"(fn), "r"(arg)
		: "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm3",
		  "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
		  "cc", "memory");
}

static enum lucet_error run_reserving(struct lucet_instance *inst, const char *name, size_t argc,
                                      const struct lucet_val *argv, struct lucet_result *res) {
	char reserve[256 << 10];
	char *saved = cb_stack_top;
	cb_stack_top = reserve + sizeof reserve;
	enum lucet_error e = lucet_instance_run(inst, name, argc, argv, res);
	cb_stack_top = saved;
	__asm__ volatile("" : : "r"(reserve) : "memory"); // the reserve stays in this frame
	return e;
}

// The start function may call host functions too: it runs here, not
// inside instance creation (LUCET_INSTANCE_DEFER_START).
static enum lucet_error run_start_reserving(struct lucet_instance *inst, struct lucet_result *res) {
	char reserve[256 << 10];
	char *saved = cb_stack_top;
	cb_stack_top = reserve + sizeof reserve;
	enum lucet_error e = lucet_instance_run_start(inst, res);
	cb_stack_top = saved;
	__asm__ volatile("" : : "r"(reserve) : "memory");
	return e;
}

struct scale_call { struct lucet_vmctx *ctx; uint64_t x, result; };
static void scale_on_stack(void *p) {
	struct scale_call *c = p;
	c->result = goHostScale(c->ctx, c->x);
}
static uint64_t host_scale_tramp(struct lucet_vmctx *ctx, uint64_t x) {
	struct scale_call c = {ctx, x, 0};
	if (!cb_stack_top) lucet_vmctx_terminate(ctx, 70); // not inside run_reserving: no safe stack
	call_on_stack(cb_stack_top, scale_on_stack, &c);
	return c.result;
}
static lucet_host_func_ptr host_scale_ptr(void) { return (lucet_host_func_ptr)host_scale_tramp; }
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/cgo"
	"unsafe"
)

// Error is a failing C API call.
type Error struct {
	Code    C.enum_lucet_error
	Name    string
	Message string
}

func (e *Error) Error() string { return e.Name + ": " + e.Message }

// Trap is a guest trap; the instance stays usable.
type Trap struct {
	Err      *Error
	TrapCode int
	TrapName string
}

func (t *Trap) Error() string { return "trap: " + t.TrapName }

func lastError(code C.enum_lucet_error) *Error {
	return &Error{Code: code, Name: C.GoString(C.lucet_error_name(code)), Message: C.GoString(C.lucet_error_message())}
}

// call runs one C API call and, if it fails, reads its message. The
// message is per OS thread and a goroutine may move between threads between
// two cgo calls, so both happen with the goroutine locked to its thread.
func call(f func() C.enum_lucet_error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if code := f(); code != C.lucet_error_ok {
		return lastError(code)
	}
	return nil
}

type Region struct{ h *C.struct_lucet_region }

func NewRegion(capacity uint64) (*Region, error) {
	r := &Region{}
	if err := call(func() C.enum_lucet_error { return C.lucet_mmap_region_create(C.uint64_t(capacity), nil, &r.h) }); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Region) Close() { C.lucet_region_release(r.h) }

type Module struct{ h *C.struct_lucet_dl_module }

func LoadModule(path string) (*Module, error) {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	m := &Module{}
	if err := call(func() C.enum_lucet_error { return C.lucet_dl_module_load(cs, &m.h) }); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Module) Close() { C.lucet_dl_module_release(m.h) }

type Instance struct {
	h      *C.struct_lucet_instance
	handle cgo.Handle // the embedder context, 0 for none
}

// NewWasiInstance runs a WASI program with these arguments and environment,
// sharing this process's stdio.
func (r *Region) NewWasiInstance(m *Module, args []string, env map[string]string) (*Instance, error) {
	var ctx *C.struct_lucet_wasi_ctx
	if err := call(func() C.enum_lucet_error { return C.lucet_wasi_ctx_create(&ctx) }); err != nil {
		return nil, err
	}
	cargs := make([]*C.char, len(args))
	for i, a := range args {
		cargs[i] = C.CString(a)
		defer C.free(unsafe.Pointer(cargs[i]))
	}
	err := call(func() C.enum_lucet_error {
		return C.lucet_wasi_ctx_args(ctx, C.size_t(len(args)), (**C.char)(unsafe.Pointer(&cargs[0])))
	})
	for k, v := range env {
		if err != nil {
			break
		}
		ck, cv := C.CString(k), C.CString(v)
		err = call(func() C.enum_lucet_error { return C.lucet_wasi_ctx_env(ctx, ck, cv) })
		C.free(unsafe.Pointer(ck))
		C.free(unsafe.Pointer(cv))
	}
	if err == nil {
		err = call(func() C.enum_lucet_error { return C.lucet_wasi_ctx_inherit_stdio(ctx) })
	}
	if err != nil {
		C.lucet_wasi_ctx_destroy(ctx)
		return nil, err
	}
	inst := &Instance{}
	if err := call(func() C.enum_lucet_error { return C.lucet_region_new_instance_with_wasi_ctx(r.h, m.h, ctx, &inst.h) }); err != nil {
		return nil, err
	}
	return inst, nil
}

// Scaler is the Go state behind the guest's env.host_scale import.
type Scaler struct {
	Factor int64
	Calls  int
}

// NewScaleInstance instantiates a module importing env.host_scale
// (i64) -> i64, implemented by goHostScale over s.
func (r *Region) NewScaleInstance(m *Module, s *Scaler) (*Instance, error) {
	i64 := (*C.enum_lucet_val_type)(C.malloc(C.size_t(unsafe.Sizeof(C.enum_lucet_val_type(0)))))
	defer C.free(unsafe.Pointer(i64))
	*i64 = C.lucet_val_type_i64
	env, field := C.CString("env"), C.CString("host_scale")
	defer C.free(unsafe.Pointer(env))
	defer C.free(unsafe.Pointer(field))
	// The array is read during the call only; C memory keeps cgo's pointer rules simple.
	f := (*C.struct_lucet_host_func)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_lucet_host_func{}))))
	defer C.free(unsafe.Pointer(f))
	f.module_name, f.field_name, f._func = env, field, C.host_scale_ptr()
	f.params, f.nparams, f.results, f.nresults = i64, 1, i64, 1
	inst := &Instance{handle: cgo.NewHandle(s)}
	if err := call(func() C.enum_lucet_error {
		return C.lucet_region_new_instance_with_options(r.h, m.h, f, 1, C.handle_to_ptr(C.uintptr_t(inst.handle)),
			nil, C.LUCET_INSTANCE_DEFER_START, &inst.h)
	}); err != nil {
		inst.handle.Delete()
		return nil, err
	}
	if err := call(func() C.enum_lucet_error { return C.run_start_reserving(inst.h, nil) }); err != nil {
		inst.Close()
		return nil, err
	}
	return inst, nil
}

// Run calls an exported function with i32 (int32/uint32) or i64
// (int64/uint64) arguments and returns its results as raw bits.
func (inst *Instance) Run(name string, args ...interface{}) ([]uint64, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	n := len(args)
	argv := (*C.struct_lucet_val)(C.calloc(C.size_t(n+1), C.size_t(unsafe.Sizeof(C.struct_lucet_val{}))))
	defer C.free(unsafe.Pointer(argv))
	vals := unsafe.Slice(argv, n+1)
	for i, a := range args {
		switch v := a.(type) {
		case int32:
			vals[i] = C.lv_i32(C.uint32_t(uint32(v)))
		case uint32:
			vals[i] = C.lv_i32(C.uint32_t(v))
		case int64:
			vals[i] = C.lv_i64(C.uint64_t(uint64(v)))
		case uint64:
			vals[i] = C.lv_i64(C.uint64_t(v))
		default:
			return nil, fmt.Errorf("%s: argument %d: unsupported type %T", name, i, a)
		}
	}
	res := (*C.struct_lucet_result)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_lucet_result{}))))
	defer C.free(unsafe.Pointer(res))
	runtime.LockOSThread() // lastError reads this thread's message
	defer runtime.UnlockOSThread()
	code := C.run_reserving(inst.h, cname, C.size_t(n), argv, res)
	switch {
	case code == C.lucet_error_runtime_fault && res.tag == C.lucet_result_tag_faulted:
		tc := C.lr_trap_code(res)
		return nil, &Trap{Err: lastError(code), TrapCode: int(tc),
			TrapName: C.GoString(C.lucet_trap_code_name(C.enum_lucet_trap_code(tc)))}
	case code == C.lucet_error_runtime_terminated && C.lr_killed(res) != 0:
		return nil, ErrKilled
	case code == C.lucet_error_runtime_terminated:
		return nil, fmt.Errorf("%s: exited with %d", name, C.lr_exit_code(res))
	case code != C.lucet_error_ok:
		return nil, lastError(code)
	}
	out := make([]uint64, C.lr_nvalues(res))
	for i := range out {
		out[i] = uint64(C.lr_value_bits(res, C.uint32_t(i)))
	}
	return out, nil
}

// ErrKilled: a kill switch stopped the run.
var ErrKilled = errors.New("stopped by a kill switch")

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

func (ks *KillSwitch) Close() { C.lucet_kill_switch_release(ks.h) }

func (inst *Instance) Close() {
	C.lucet_instance_release(inst.h)
	if inst.handle != 0 {
		inst.handle.Delete()
	}
}
