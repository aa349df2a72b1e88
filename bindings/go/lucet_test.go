package lucet

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var guestWasm string

// TestMain compiles testdata/guest.wat with wabt's wat2wasm ($WAT2WASM or
// PATH) and points the compile cache at a temporary directory.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lucet-go-test")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	wat2wasm := os.Getenv("WAT2WASM")
	if wat2wasm == "" {
		wat2wasm = "wat2wasm"
	}
	guestWasm = filepath.Join(dir, "guest.wasm")
	if out, err := exec.Command(wat2wasm, "testdata/guest.wat", "-o", guestWasm).CombinedOutput(); err != nil {
		panic("wat2wasm: " + err.Error() + ": " + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type fixture struct {
	region *Region
	module *Module
	inst   *Instance
	funcs  []*Func
}

func (fx *fixture) close() {
	fx.inst.Close()
	for _, f := range fx.funcs {
		f.Close()
	}
	fx.module.Close()
	fx.region.Close()
}

func newFixture(t *testing.T, scale HostFunc) *fixture {
	t.Helper()
	m, err := LoadWasm(guestWasm, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRegion(2)
	if err != nil {
		t.Fatal(err)
	}
	fs := MustFunc([]ValType{I64}, []ValType{I64}, scale)
	ff := MustFunc([]ValType{F32, F64}, []ValType{F64}, func(c *Caller, a []Val) ([]Val, error) {
		return []Val{ValF64(float64(a[0].F32()) * a[1].F64())}, nil
	})
	inst, err := r.NewInstance(m, Config{Imports: []Import{{"env", "host_scale", fs}, {"env", "host_f", ff}}})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{r, m, inst, []*Func{fs, ff}}
}

func identity(c *Caller, a []Val) ([]Val, error) { return a, nil }

func TestTypedCalls(t *testing.T) {
	fx := newFixture(t, identity)
	defer fx.close()
	res, err := fx.inst.Run("add", int32(40), int32(2))
	if err != nil || len(res) != 1 || res[0].Type != I32 || res[0].I32() != 42 {
		t.Fatalf("add: %v %v", res, err)
	}
	res, err = fx.inst.Run("add64", int64(1)<<40, -1) // an int is i64
	if err != nil || res[0].I64() != 1<<40-1 {
		t.Fatalf("add64: %v %v", res, err)
	}
	res, err = fx.inst.Run("mulf", float32(1.5), 4.0)
	if err != nil || res[0].F64() != 6 {
		t.Fatalf("mulf: %v %v", res, err)
	}
	res, err = fx.inst.Run("pair", int32(-3))
	if err != nil || len(res) != 2 || res[0].I32() != -3 || res[1].Type != I64 || res[1].I64() != -3 {
		t.Fatalf("pair: %v %v", res, err)
	}
	var le *Error
	if _, err = fx.inst.Run("add64", int32(1), int32(2)); !errors.As(err, &le) || le.Name != "lucet_error_invalid_argument" {
		t.Fatalf("add64 with i32 arguments: %v", err)
	}
	if _, err = fx.inst.Run("nope"); !errors.As(err, &le) || le.Name != "lucet_error_func_not_found" {
		t.Fatalf("missing export: %v", err)
	}
	if _, err = fx.inst.Run("add", "x", 1); err == nil || !strings.Contains(err.Error(), "unsupported argument type string") {
		t.Fatalf("string argument: %v", err)
	}
}

// A plain int takes the parameter's type; overflow and wrong kinds are
// errors naming the argument (the guest does not run).
func TestIntArguments(t *testing.T) {
	fx := newFixture(t, identity)
	defer fx.close()
	res, err := fx.inst.Run("add", 40, 2) // i32 parameters
	if err != nil || len(res) != 1 || res[0].Type != I32 || res[0].I32() != 42 {
		t.Fatalf("add(40, 2): %v %v", res, err)
	}
	if res, err = fx.inst.Run("add", 0xffffffff, 1); err != nil || res[0].I32() != 0 { // unsigned range too
		t.Fatalf("add(0xffffffff, 1): %v %v", res, err)
	}
	if res, err = fx.inst.Run("mulf", 3, 4); err != nil || res[0].F64() != 12 { // f32, f64
		t.Fatalf("mulf(3, 4): %v %v", res, err)
	}
	if res, err = fx.inst.Run("add64", 1<<40, -1); err != nil || res[0].I64() != 1<<40-1 {
		t.Fatalf("add64: %v %v", res, err)
	}
	for _, c := range []struct {
		fn   string
		args []interface{}
		want string
	}{
		{"add", []interface{}{1, 1 << 32}, "add: argument 1: int 4294967296 overflows the i32 parameter"},
		{"add", []interface{}{math.MinInt32 - 1, 1}, "add: argument 0: int -2147483649 overflows the i32 parameter"},
		{"mulf", []interface{}{1<<24 + 1, 1}, "mulf: argument 0: int 16777217 is not exact as the f32 parameter"},
		{"mulf", []interface{}{1, 1<<53 + 1}, "mulf: argument 1: int 9007199254740993 is not exact as the f64 parameter"},
		{"vlane", []interface{}{1, 2}, "vlane: argument 0: an int cannot be the v128 parameter"},
	} {
		if _, err := fx.inst.Run(c.fn, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s%v: got %v, want %q", c.fn, c.args, err, c.want)
		}
	}
}

func TestHostFunctions(t *testing.T) {
	var calls int64
	fx := newFixture(t, func(c *Caller, a []Val) ([]Val, error) {
		atomic.AddInt64(&calls, 1)
		if len(c.Memory()) != 65536 {
			return nil, errors.New("no memory in the caller")
		}
		return []Val{ValI64(a[0].I64() * 3)}, nil
	})
	defer fx.close()
	res, err := fx.inst.Run("scale_plus_one", int64(14))
	if err != nil || res[0].I64() != 43 || calls != 1 {
		t.Fatalf("scale_plus_one: %v %v calls=%d", res, err, calls)
	}
	// f32 and f64 parameters through the generic trampoline, f64 result.
	res, err = fx.inst.Run("call_f", float32(2.5), 4.0)
	if err != nil || res[0].F64() != 10 {
		t.Fatalf("call_f: %v %v", res, err)
	}
}

func TestHostErrorStopsGuest(t *testing.T) {
	boom := errors.New("boom")
	var calls int64
	fx := newFixture(t, func(c *Caller, a []Val) ([]Val, error) {
		atomic.AddInt64(&calls, 1)
		if a[0].I64() == 3 {
			return nil, boom
		}
		return a, nil
	})
	defer fx.close()
	_, err := fx.inst.Run("scale_loop", int32(100))
	var he *HostError
	if !errors.As(err, &he) || !errors.Is(err, boom) {
		t.Fatalf("scale_loop: want a HostError wrapping boom, got %v", err)
	}
	// Stopped at once: no iteration after the failing call.
	if calls != 4 || fx.inst.Memory()[4] != 3 {
		t.Fatalf("calls=%d, iterations done=%d; want 4 and 3", calls, fx.inst.Memory()[4])
	}
	// The instance stays usable.
	if res, err := fx.inst.Run("scale_plus_one", int64(2)); err != nil || res[0].I64() != 3 {
		t.Fatalf("after the host error: %v %v", res, err)
	}
}

func TestHostPanicAndBadResult(t *testing.T) {
	fx := newFixture(t, func(c *Caller, a []Val) ([]Val, error) {
		if a[0].I64() == 1 {
			panic("host panic")
		}
		return []Val{ValI32(1)}, nil // wrong type
	})
	defer fx.close()
	_, err := fx.inst.Run("scale_plus_one", int64(1))
	var he *HostError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "panic: host panic") {
		t.Fatalf("panic: %v", err)
	}
	if _, err = fx.inst.Run("scale_plus_one", int64(2)); !errors.As(err, &he) || !strings.Contains(err.Error(), "returned i32 for the i64 result 0") {
		t.Fatalf("bad result: %v", err)
	}
}

func TestTrapsAndKill(t *testing.T) {
	fx := newFixture(t, identity)
	defer fx.close()
	var trap *Trap
	if _, err := fx.inst.Run("div", int32(1), int32(0)); !errors.As(err, &trap) || trap.Name != "integer divide by zero" {
		t.Fatalf("div by zero: %v", err)
	}
	if res, err := fx.inst.Run("div", int32(7), int32(2)); err != nil || res[0].I32() != 3 {
		t.Fatalf("after the trap: %v %v", res, err)
	}
	if _, err := fx.inst.Run("load", int32(100000)); !errors.As(err, &trap) || !strings.Contains(trap.Name, "out of bounds") {
		t.Fatalf("load: %v", err)
	}
	ks, err := fx.inst.KillSwitch()
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	go func() { time.Sleep(20 * time.Millisecond); ks.Terminate() }()
	var exit *Exit
	if _, err := fx.inst.Run("spin"); !errors.As(err, &exit) || !exit.Killed {
		t.Fatalf("spin: %v", err)
	}
	// Go's own fault handling still works after the runtime's handlers.
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("nil dereference did not panic")
			}
		}()
		var p *int
		_ = *p
	}()
}

func TestFuncTypes(t *testing.T) {
	if _, err := NewFunc([]ValType{FuncRef}, nil, identity); err == nil || !strings.Contains(err.Error(), "cannot take or return funcref") {
		t.Fatalf("funcref parameter: %v", err)
	}
	if _, err := NewFunc(nil, []ValType{ValType(0x12)}, identity); err == nil || !strings.Contains(err.Error(), "ValType(0x12)") {
		t.Fatalf("unknown result type: %v", err)
	}
	// Any number of parameters of any type: 6 integers, 9 floats and a v128.
	ps := []ValType{I32, I32, I32, I32, I32, I64, F64, F64, F64, F64, F64, F64, F64, F64, F32, V128}
	f, err := NewFunc(ps, []ValType{I32, I64, V128}, identity)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	f.Close() // twice is harmless
}

func TestWasi(t *testing.T) {
	so := os.Getenv("LUCET_TEST_WASI_SO")
	if so == "" {
		t.Skip("LUCET_TEST_WASI_SO (a compiled examples/embed-c/guest_wasi.c) not set")
	}
	m, err := LoadModule(so)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r, _ := NewRegion(1)
	defer r.Close()
	// The guest's stdout: a pipe given as this process's fd 1 meanwhile is
	// more than this test needs; check it runs and exits cleanly instead.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inst, err := r.NewInstance(m, Config{Wasi: &Wasi{Args: []string{"guest_wasi", "x"},
		Env: map[string]string{"GREETING": "go", "COPY": "/data/in.txt"}, Preopens: []Preopen{{dir, "/data"}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	if _, err := inst.Run("_start"); err != nil {
		t.Fatalf("_start: %v", err)
	}
	// the guest copied the host dir's file, seen under the guest path /data
	if b, err := os.ReadFile(filepath.Join(dir, "in.txt.copy")); err != nil || string(b) != "from the host\n" {
		t.Fatalf("guest's copy: %q, %v", b, err)
	}
	if _, err := r.NewInstance(m, Config{Wasi: &Wasi{Preopens: []Preopen{{"/nonexistent-dir", "/d"}}}}); err == nil ||
		!strings.Contains(err.Error(), "preopen /nonexistent-dir::/d") {
		t.Fatalf("missing preopen: %v", err)
	}
}

func TestIntrospection(t *testing.T) {
	m, err := LoadWasm(guestWasm, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	exports, err := m.Exports()
	if err != nil || len(exports) < 4 || exports[0].Name != "memory" || exports[0].Kind != KindMemory ||
		exports[0].Limits != (Limits{Min: 1}) {
		t.Fatalf("exports: %+v %v", exports, err)
	}
	byName := map[string]ExternType{}
	for _, e := range exports {
		byName[e.Name] = e
	}
	if e := byName["add64"]; e.Kind != KindFunc || len(e.Params) != 2 || e.Params[1] != I64 || len(e.Results) != 1 {
		t.Fatalf("add64: %+v", e)
	}
	if e := byName["ten"]; len(e.Results) != 10 || e.Results[2] != F32 || e.Results[9] != I64 {
		t.Fatalf("ten: %+v", e)
	}
	if e := byName["limit"]; e.Kind != KindGlobal || e.GlobalType != I64 || e.GlobalMutable {
		t.Fatalf("limit: %+v", e)
	}
	if e := byName["tab"]; e.Kind != KindTable || e.ElemType != FuncRef || e.Limits != (Limits{2, 8, true}) {
		t.Fatalf("tab: %+v", e)
	}
	imports, err := m.Imports()
	if err != nil || len(imports) != 2 || imports[1].Module != "env" || imports[1].Name != "host_f" ||
		imports[1].Index != 1 || len(imports[1].Params) != 2 || imports[1].Params[0] != F32 || imports[1].Results[0] != F64 {
		t.Fatalf("imports: %+v %v", imports, err)
	}
	if e, ok, err := m.Export("tab"); !ok || err != nil || e.Kind != KindTable {
		t.Fatalf("Export(tab): %+v %v %v", e, ok, err)
	}
	if _, ok, err := m.Export("missing"); ok || err != nil {
		t.Fatalf("Export(missing): %v %v", ok, err)
	}
	closed, _ := LoadWasm(guestWasm, 0)
	closed.Close()
	if _, err := closed.Exports(); err == nil {
		t.Fatal("Exports on a closed module succeeded")
	}
}

func TestManyResults(t *testing.T) {
	fx := newFixture(t, identity)
	defer fx.close()
	res, err := fx.inst.Run("ten", int64(1)<<40)
	if err != nil || len(res) != 10 {
		t.Fatalf("ten: %v %v", res, err)
	}
	if res[0].I64() != 1<<40 || res[1].I32() != -2 || res[2].F32() != 1.5 || res[3].F64() != -2.25 ||
		res[8].I32() != 8 || res[9].Type != I64 || res[9].I64() != 1<<40+1 {
		t.Fatalf("ten: %v", res)
	}
}

// Lookup once, Call many times: the same values and errors as Run.
func TestExportedFunc(t *testing.T) {
	fx := newFixture(t, func(c *Caller, a []Val) ([]Val, error) { return []Val{ValI64(a[0].I64() * 3)}, nil })
	defer fx.close()
	add, err := fx.inst.Lookup("add")
	if err != nil {
		t.Fatal(err)
	}
	for k := int32(0); k < 1000; k++ {
		res, err := add.Call(k, 2) // a plain int takes the i32 parameter's type
		if err != nil || len(res) != 1 || res[0].Type != I32 || res[0].I32() != k+2 {
			t.Fatalf("add(%d, 2): %v %v", k, res, err)
		}
	}
	scale, err := fx.inst.Lookup("scale_plus_one") // through a Go host function
	if err != nil {
		t.Fatal(err)
	}
	if res, err := scale.Call(int64(14)); err != nil || res[0].I64() != 43 {
		t.Fatalf("scale_plus_one: %v %v", res, err)
	}
	ten, err := fx.inst.Lookup("ten") // 10 results
	if err != nil {
		t.Fatal(err)
	}
	if res, err := ten.Call(int64(5)); err != nil || len(res) != 10 || res[9].I64() != 6 || res[2].F32() != 1.5 {
		t.Fatalf("ten: %v %v", res, err)
	}
	div, err := fx.inst.Lookup("div")
	if err != nil {
		t.Fatal(err)
	}
	var trap *Trap
	if _, err := div.Call(int32(1), int32(0)); !errors.As(err, &trap) || trap.Name != "integer divide by zero" {
		t.Fatalf("div by zero: %v", err)
	}
	if res, err := div.Call(int32(7), int32(2)); err != nil || res[0].I32() != 3 {
		t.Fatalf("after the trap: %v %v", res, err)
	}
	var le *Error
	if _, err := add.Call(int64(1), int64(2)); !errors.As(err, &le) || le.Name != "lucet_error_invalid_argument" {
		t.Fatalf("add with i64 arguments: %v", err)
	}
	if _, err := fx.inst.Lookup("nope"); !errors.As(err, &le) || le.Name != "lucet_error_func_not_found" {
		t.Fatalf("missing export: %v", err)
	}
	if _, err := fx.inst.Lookup("limit"); !errors.As(err, &le) || le.Name != "lucet_error_func_not_found" {
		t.Fatalf("a global: %v", err)
	}
	// The speed it is for (printed, not checked: a shared machine).
	const n = 100000
	t0 := time.Now()
	for k := 0; k < n; k++ {
		add.Call(int32(1), int32(2))
	}
	t1 := time.Now()
	for k := 0; k < n; k++ {
		fx.inst.Run("add", int32(1), int32(2))
	}
	t2 := time.Now()
	t.Logf("add: ExportedFunc.Call %.0f ns, Run %.0f ns", float64(t1.Sub(t0).Nanoseconds())/n, float64(t2.Sub(t1).Nanoseconds())/n)
	fx.inst.Close()
	if _, err := add.Call(int32(1), int32(2)); err == nil || !strings.Contains(err.Error(), "closed instance") {
		t.Fatalf("after Close: %v", err)
	}
}
