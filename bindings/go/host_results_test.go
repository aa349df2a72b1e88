package lucet

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Host functions with 0, 1, 2 and 5 results of mixed types (i64, f64, f32,
// v128), v128 parameters, v128 in calls; wrong result counts and types stop
// the guest with a HostError. The guest is testdata/hostfuncs.wat.

func lanes(a, b, c, d uint32) (v [16]byte) {
	for i, x := range []uint32{a, b, c, d} {
		v[4*i], v[4*i+1], v[4*i+2], v[4*i+3] = byte(x), byte(x>>8), byte(x>>16), byte(x>>24)
	}
	return v
}

type hostFixture struct {
	region *Region
	module *Module
	inst   *Instance
	funcs  []*Func
	calls  []string
}

func (fx *hostFixture) close() {
	fx.inst.Close()
	for _, f := range fx.funcs {
		f.Close()
	}
	fx.module.Close()
	fx.region.Close()
}

type hostSig struct {
	params, results []ValType
	fn              HostFunc
}

// newHostFixture instantiates hostfuncs.wat with the default host
// functions, `over` replacing some of them.
func newHostFixture(t *testing.T, over map[string]hostSig) *hostFixture {
	t.Helper()
	wasm := filepath.Join(filepath.Dir(guestWasm), "hostfuncs.wasm")
	if out, err := exec.Command(wat2wasmPath(), "testdata/hostfuncs.wat", "-o", wasm).CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm: %v: %s", err, out)
	}
	m, err := LoadWasm(wasm, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRegion(1)
	if err != nil {
		t.Fatal(err)
	}
	fx := &hostFixture{region: r, module: m}
	sigs := map[string]hostSig{
		"none": {nil, nil, func(c *Caller, a []Val) ([]Val, error) {
			fx.calls = append(fx.calls, "none")
			return nil, nil
		}},
		"one": {[]ValType{I32}, []ValType{I64}, func(c *Caller, a []Val) ([]Val, error) {
			return []Val{ValI64(int64(a[0].I32()) << 33)}, nil
		}},
		"two": {[]ValType{I64, F64}, []ValType{I64, F64}, func(c *Caller, a []Val) ([]Val, error) {
			return []Val{ValI64(a[0].I64() + 1), ValF64(a[1].F64() * 2)}, nil
		}},
		"many": {[]ValType{I32, I64, F32, F64, V128}, []ValType{I32, I64, F32, F64, V128},
			func(c *Caller, a []Val) ([]Val, error) {
				v := a[4].V128()
				for i, j := 0, 15; i < j; i, j = i+1, j-1 {
					v[i], v[j] = v[j], v[i]
				}
				return []Val{ValI32(a[0].I32() + 1), ValI64(a[1].I64() + 1), ValF32(a[2].F32() * 2),
					ValF64(a[3].F64() * 2), ValV128(v)}, nil
			}},
		"vv": {[]ValType{V128, V128}, []ValType{V128}, func(c *Caller, a []Val) ([]Val, error) {
			x, y := a[0].V128(), a[1].V128()
			for i := range x {
				x[i] ^= y[i]
			}
			return []Val{ValV128(x)}, nil
		}},
	}
	for k, v := range over {
		sigs[k] = v
	}
	var imports []Import
	for _, name := range []string{"none", "one", "two", "many", "vv"} {
		s := sigs[name]
		f, err := NewFunc(s.params, s.results, s.fn)
		if err != nil {
			t.Fatal(err)
		}
		fx.funcs = append(fx.funcs, f)
		imports = append(imports, Import{"h", name, f})
	}
	if fx.inst, err = r.NewInstance(m, Config{Imports: imports}); err != nil {
		t.Fatal(err)
	}
	return fx
}

func TestHostMultiResults(t *testing.T) {
	fx := newHostFixture(t, nil)
	defer fx.close()
	run := func(name string, args ...interface{}) []Val {
		t.Helper()
		res, err := fx.inst.Run(name, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return res
	}
	if res := run("call_none"); len(res) != 0 || len(fx.calls) != 1 {
		t.Fatalf("call_none: %v, calls %v", res, fx.calls)
	}
	if res := run("call_one", int32(-3)); res[0].I64() != -3<<33 {
		t.Fatalf("call_one: %v", res)
	}
	if res := run("call_two", int64(1)<<62, 1.25); len(res) != 2 || res[0].I64() != 1<<62+1 || res[1].F64() != 2.5 {
		t.Fatalf("call_two: %v", res)
	}
	if res := run("sum_two", int64(-10), 0.25); res[0].F64() != -8.5 {
		t.Fatalf("sum_two: %v", res)
	}
	var in, rev [16]byte
	for i := range in {
		in[i], rev[15-i] = byte(i), byte(i)
	}
	res := run("call_many", int32(-1), int64(math.MinInt64), float32(1.5), -1e300, in)
	want := []Val{ValI32(0), ValI64(math.MinInt64 + 1), ValF32(3), ValF64(-2e300), ValV128(rev)}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("call_many: %v, want %v", res, want)
	}
	if res := run("call_vv", lanes(1, 2, 3, 4), ValV128(lanes(1, 0, 3, 0xffffffff))); res[0].V128() != lanes(0, 2, 0, 0xfffffffb) {
		t.Fatalf("call_vv: %v", res)
	}
	// v128 in a call without host functions; and its String.
	res = run("add_lanes", lanes(1, 2, 3, 0xffffffff), lanes(10, 20, 30, 2))
	if res[0].V128() != lanes(11, 22, 33, 1) || res[1].I32() != -1 || res[0].Type != V128 {
		t.Fatalf("add_lanes: %v", res)
	}
	if s := ValV128(lanes(1, 0, 0, 0)).String(); s != "v128(01000000000000000000000000000000)" {
		t.Fatalf("String: %s", s)
	}
	if _, err := fx.inst.Run("add_lanes", int64(5), lanes(0, 0, 0, 0)); err == nil {
		t.Fatal("an i64 for a v128 parameter was accepted")
	}
}

func TestHostWrongResults(t *testing.T) {
	two := []ValType{I64, F64}
	cases := []struct {
		name string
		sig  hostSig
		args []interface{}
		want string
	}{
		{"two", hostSig{two, two, func(c *Caller, a []Val) ([]Val, error) { return a[:1], nil }},
			[]interface{}{int64(1), 2.0}, "returned 1 values for 2 results [i64 f64]"},
		{"two", hostSig{two, two, func(c *Caller, a []Val) ([]Val, error) { return append(a, a[0]), nil }},
			[]interface{}{int64(1), 2.0}, "returned 3 values for 2 results [i64 f64]"},
		{"two", hostSig{two, two, func(c *Caller, a []Val) ([]Val, error) { return []Val{a[0], ValF32(1)}, nil }},
			[]interface{}{int64(1), 2.0}, "returned f32 for the f64 result 1"},
		{"one", hostSig{[]ValType{I32}, []ValType{I64}, func(c *Caller, a []Val) ([]Val, error) { return nil, nil }},
			[]interface{}{int32(1)}, "returned 0 values for 1 results [i64]"},
		{"none", hostSig{nil, nil, func(c *Caller, a []Val) ([]Val, error) { return []Val{ValI32(0)}, nil }},
			nil, "returned 1 values for 0 results []"},
		{"vv", hostSig{[]ValType{V128, V128}, []ValType{V128}, func(c *Caller, a []Val) ([]Val, error) {
			return []Val{ValI64(7)}, nil
		}}, []interface{}{lanes(0, 0, 0, 0), lanes(0, 0, 0, 0)}, "returned i64 for the v128 result 0"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			fx := newHostFixture(t, map[string]hostSig{tc.name: tc.sig})
			defer fx.close()
			_, err := fx.inst.Run("call_"+tc.name, tc.args...)
			var he *HostError
			if !errors.As(err, &he) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want a HostError %q, got %v", tc.want, err)
			}
			// Never a silent zero; and the instance stays usable.
			other := "call_two"
			if tc.name == "two" {
				other = "call_vv"
			}
			args := []interface{}{int64(1), 1.0}
			if other == "call_vv" {
				args = []interface{}{lanes(1, 1, 1, 1), lanes(1, 1, 1, 1)}
			}
			if _, err := fx.inst.Run(other, args...); err != nil {
				t.Fatalf("%s after the error: %v", other, err)
			}
		})
	}
}

func wat2wasmPath() string {
	if p := os.Getenv("WAT2WASM"); p != "" {
		return p
	}
	return "wat2wasm"
}
