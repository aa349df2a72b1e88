//! Func::new: host functions with any number of results and v128 values
//! (over the C API's host thunks), against the real library, the real C
//! compiler and the guest of the Python and Go tests
//! (bindings/go/testdata/hostfuncs.wat, compiled with wabt's wat2wasm).
use lucet_wasi::ValType::{F32, F64, I32, I64};
use lucet_wasi::ValType::V128 as V128_T;
use lucet_wasi::{Error, Func, FuncType, HostError, Imports, Instance, Module, Region, Val, ValType, V128};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex, Once};

fn guest() -> Module {
    static INIT: Once = Once::new();
    let dir = std::env::temp_dir().join(format!("lucet-wasi-rs-hostres-{}", std::process::id()));
    let wasm = dir.join("hostfuncs.wasm");
    INIT.call_once(|| {
        std::fs::create_dir_all(&dir).unwrap();
        std::env::set_var("XDG_CACHE_HOME", dir.join("cache"));
        let wat = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../go/testdata/hostfuncs.wat");
        let tool = std::env::var("WAT2WASM").unwrap_or_else(|_| "wat2wasm".to_string());
        let st = Command::new(tool).arg(&wat).arg("-o").arg(&wasm).status().expect("cannot run wat2wasm");
        assert!(st.success(), "wat2wasm failed");
    });
    Module::from_wasm(&wasm, 0).unwrap()
}

fn lanes(a: u32, b: u32, c: u32, d: u32) -> u128 {
    a as u128 | (b as u128) << 32 | (c as u128) << 64 | (d as u128) << 96
}

fn ft(p: &[ValType], r: &[ValType]) -> FuncType {
    FuncType::new(p.iter().copied(), r.iter().copied())
}

type Body = Box<dyn Fn(&[Val]) -> Result<Vec<Val>, HostError> + Send + Sync>;

/// The five imports of h.*; `over` replaces some bodies.
fn imports(calls: &Arc<Mutex<Vec<String>>>, over: Vec<(&str, Body)>) -> Imports {
    imports_with(calls, over, None)
}

/// The same, with `func` as import h.`name` (the first entry of a name wins).
fn imports_with(calls: &Arc<Mutex<Vec<String>>>, over: Vec<(&str, Body)>, func: Option<(&str, Func)>) -> Imports {
    let c = calls.clone();
    let c2 = calls.clone();
    let mut fns: Vec<(&str, FuncType, Body)> = vec![
        (
            "none",
            ft(&[], &[]),
            Box::new(move |_| {
                c.lock().unwrap().push("none".into());
                Ok(vec![])
            }),
        ),
        (
            "one",
            ft(&[I32], &[I64]),
            Box::new(|a| match a {
                [Val::I32(x)] => Ok(vec![Val::I64(*x as i64 * (1 << 33))]),
                _ => panic!("one: {:?}", a),
            }),
        ),
        (
            "two",
            ft(&[I64, F64], &[I64, F64]),
            Box::new(|a| match a {
                [Val::I64(x), Val::F64(y)] => Ok(vec![Val::I64(x.wrapping_add(1)), Val::F64(y * 2.0)]),
                _ => panic!("two: {:?}", a),
            }),
        ),
        (
            "many",
            ft(&[I32, I64, F32, F64, V128_T], &[I32, I64, F32, F64, V128_T]),
            Box::new(move |a| {
                c2.lock().unwrap().push(format!("many {:?}", a));
                match a {
                    [Val::I32(i), Val::I64(l), Val::F32(f), Val::F64(d), Val::V128(v)] => Ok(vec![
                        Val::I32(i.wrapping_add(1)),
                        Val::I64(l.wrapping_add(1)),
                        Val::F32(f * 2.0),
                        Val::F64(d * 2.0),
                        Val::V128(v.swap_bytes()),
                    ]),
                    _ => panic!("many: {:?}", a),
                }
            }),
        ),
        (
            "vv",
            ft(&[V128_T, V128_T], &[V128_T]),
            Box::new(|a| match a {
                [Val::V128(x), Val::V128(y)] => Ok(vec![Val::V128(x ^ y)]),
                _ => panic!("vv: {:?}", a),
            }),
        ),
    ];
    for (name, body) in over {
        fns.iter_mut().find(|f| f.0 == name).unwrap().2 = body;
    }
    let mut imp = Imports::new();
    if let Some((name, f)) = func {
        imp.func("h", name, f);
    }
    for (name, ty, body) in fns {
        imp.func("h", name, Func::new(ty, body).unwrap());
    }
    imp
}

fn instance(region: &Region, calls: &Arc<Mutex<Vec<String>>>, over: Vec<(&str, Body)>) -> Instance {
    region.instance(&guest(), imports(calls, over), None).unwrap()
}

#[test]
fn zero_one_two_and_five_results() {
    let region = Region::new(1).unwrap();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let mut inst = instance(&region, &calls, vec![]);
    assert_eq!(inst.call_vals("call_none", &[]).unwrap(), vec![]);
    assert_eq!(*calls.lock().unwrap(), vec!["none".to_string()]);
    // an i32 argument arrives signed, an i64 result
    assert_eq!(inst.call::<_, i64>("call_one", (-3i32,)).unwrap(), -3 * (1i64 << 33));
    assert_eq!(inst.call::<_, (i64, f64)>("call_two", (1i64 << 62, 1.25f64)).unwrap(), ((1 << 62) + 1, 2.5));
    // the guest adds the two results of h.two
    assert_eq!(inst.call::<_, f64>("sum_two", (-10i64, 0.25f64)).unwrap(), -9.0 + 0.5);
    let v = u128::from_le_bytes(std::array::from_fn(|i| i as u8));
    let args = [Val::I32(-1), Val::I64(i64::MIN), Val::F32(1.5), Val::F64(-1e300), Val::V128(v)];
    let out = inst.call_vals("call_many", &args).unwrap();
    let reversed = u128::from_le_bytes(std::array::from_fn(|i| 15 - i as u8));
    assert_eq!(out, vec![Val::I32(0), Val::I64(i64::MIN + 1), Val::F32(3.0), Val::F64(-2e300), Val::V128(reversed)]);
    assert_eq!(calls.lock().unwrap().last().unwrap(), &format!("many {:?}", args)); // v128 params intact
    let out = inst.call_vals("call_vv", &[Val::V128(lanes(1, 2, 3, 4)), Val::V128(lanes(1, 0, 3, 0xFFFF_FFFF))]);
    assert_eq!(out.unwrap(), vec![Val::V128(lanes(0, 2, 0, 0xFFFF_FFFB))]);
}

#[test]
fn v128_in_calls() {
    let region = Region::new(1).unwrap();
    let mut inst = instance(&region, &Arc::new(Mutex::new(Vec::new())), vec![]);
    let out = inst.call_vals("add_lanes", &[Val::V128(lanes(1, 2, 3, 0xFFFF_FFFF)), Val::V128(lanes(10, 20, 30, 2))]);
    assert_eq!(out.unwrap(), vec![Val::V128(lanes(11, 22, 33, 1)), Val::I32(-1)]);
    match inst.call_vals("add_lanes", &[Val::V128(0), Val::I64(0)]) {
        Err(Error::Api { name, .. }) => assert_eq!(name, "lucet_error_invalid_argument"),
        r => panic!("an i64 for a v128: {:?}", r),
    }
}

/// Typed calls and Func::wrap closures take and return V128.
#[test]
fn v128_in_typed_calls_and_wrapped_host_functions() {
    let region = Region::new(1).unwrap();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let mut inst = instance(&region, &calls, vec![]);
    let (a, b) = (V128::from_i32x4([1, 2, 3, 0xFFFF_FFFF]), V128(lanes(10, 20, 30, 2)));
    let (sum, first) = inst.call::<_, (V128, i32)>("add_lanes", (a, b)).unwrap();
    assert_eq!(sum.to_i32x4(), [11, 22, 33, 1]);
    assert_eq!(first, -1);
    // A v128 where the export has an i32 (and the other way) is a type error, not a value.
    match inst.call::<_, (i32, i32)>("add_lanes", (a, b)) {
        Err(Error::Type(m)) => assert!(m.contains("add_lanes"), "{}", m),
        r => panic!("(i32, i32) for (v128, i32): {:?}", r),
    }
    match inst.call::<_, (V128, i32)>("add_lanes", (a, 5i64)) {
        Err(Error::Api { name, .. }) => assert_eq!(name, "lucet_error_invalid_argument"),
        r => panic!("an i64 for a v128: {:?}", r),
    }
    // h.vv as a wrapped closure: both v128 params arrive in their registers
    // and the result goes back in one.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let vv = Func::wrap(move |x: V128, y: V128| {
        s2.lock().unwrap().push((x, y));
        V128(x.0.rotate_left(8) ^ y.0)
    });
    assert_eq!(vv.ty(), ft(&[V128_T, V128_T], &[V128_T]));
    drop(inst);
    let mut inst = region.instance(&guest(), imports_with(&calls, vec![], Some(("vv", vv))), None).unwrap();
    let x = u128::from_le_bytes(std::array::from_fn(|i| 0xA0 + i as u8));
    let y = lanes(0xDEAD_BEEF, 0, 0x8000_0000, 1);
    let r: V128 = inst.call("call_vv", (V128(x), V128(y))).unwrap();
    assert_eq!(r, V128(x.rotate_left(8) ^ y));
    assert_eq!(*seen.lock().unwrap(), vec![(V128(x), V128(y))]);
    // The closure's v128 result next to a wasm caller that uses the lanes.
    let r: V128 = inst.call("call_vv", (V128(0), V128(u128::MAX))).unwrap();
    assert_eq!(r, V128(u128::MAX));
}

fn body(f: impl Fn(&[Val]) -> Result<Vec<Val>, HostError> + Send + Sync + 'static) -> Body {
    Box::new(f)
}

#[test]
fn wrong_result_count_or_type_stops_the_guest() {
    let cases: Vec<(&str, Body, Vec<Val>, &str)> = vec![
        ("two", body(|a| Ok(vec![a[0]])), vec![Val::I64(1), Val::F64(2.0)], "h.two: returned 1 value for 2 results (i64, f64)"),
        (
            "two",
            body(|a| Ok(vec![a[0], a[1], Val::I32(3)])),
            vec![Val::I64(1), Val::F64(2.0)],
            "h.two: returned 3 values for 2 results (i64, f64)",
        ),
        (
            "two",
            body(|a| Ok(vec![Val::F64(1.5), a[1]])),
            vec![Val::I64(1), Val::F64(2.0)],
            "h.two: result 0 is F64(1.5), must be i64 (results (i64, f64))",
        ),
        ("one", body(|_| Ok(vec![Val::I32(1)])), vec![Val::I32(1)], "h.one: result 0 is I32(1), must be i64 (results (i64))"),
        ("none", body(|_| Ok(vec![Val::I32(0)])), vec![], "h.none: returned 1 value for 0 results ()"),
        (
            "one",
            body(|_| Ok(vec![Val::Other(0x7e)])),
            vec![Val::I32(1)],
            "h.one: result 0 is Other(126), must be i64 (results (i64))",
        ),
        (
            "vv",
            body(|_| Ok(vec![Val::I64(7)])),
            vec![Val::V128(0), Val::V128(0)],
            "h.vv: result 0 is I64(7), must be v128 (results (v128))",
        ),
    ];
    let region = Region::new(1).unwrap();
    for (name, f, args, want) in cases {
        let mut inst = instance(&region, &Arc::new(Mutex::new(Vec::new())), vec![(name, f)]);
        match inst.call_vals(&format!("call_{}", name), &args) {
            Err(Error::Host(e)) => assert_eq!(e.to_string(), want),
            r => panic!("{}: {:?}", want, r),
        }
        // Never a silent value: the call failed, and the instance stays usable.
        if name == "two" {
            assert_eq!(inst.call::<_, i64>("call_one", (2i32,)).unwrap(), 1 << 34);
        } else {
            assert_eq!(inst.call::<_, (i64, f64)>("call_two", (1i64, 1.0f64)).unwrap(), (2, 2.0));
        }
    }
}

#[test]
fn err_and_panic_stop_the_guest() {
    let region = Region::new(1).unwrap();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let over: Vec<(&str, Body)> = vec![
        (
            "two",
            body(|a| match a[0] {
                Val::I64(3) => Err(HostError::from_error(std::io::Error::new(std::io::ErrorKind::Other, "no threes"))),
                Val::I64(4) => panic!("four is {}", "right out"),
                _ => Ok(vec![a[0], a[1]]),
            }),
        ),
        ("none", body(|_| std::panic::panic_any(17u8))),
    ];
    let mut inst = instance(&region, &calls, over);
    match inst.call::<_, (i64, f64)>("call_two", (3i64, 0.5f64)) {
        Err(Error::Host(e)) => {
            assert_eq!(e.to_string(), "no threes");
            assert_eq!(e.error().unwrap().to_string(), "no threes"); // the closure's error, kept
        }
        r => panic!("Err: {:?}", r),
    }
    // sum_two goes on after h.two in guest code: stopped at once, no result.
    match inst.call::<_, f64>("sum_two", (4i64, 0.5f64)) {
        Err(Error::Host(e)) => assert_eq!(e.to_string(), "panicked: four is right out"),
        r => panic!("panic: {:?}", r),
    }
    match inst.call::<_, ()>("call_none", ()) {
        Err(Error::Host(e)) => assert_eq!(e.to_string(), "panicked: a non-string payload"),
        r => panic!("panic_any: {:?}", r),
    }
    assert_eq!(inst.call::<_, (i64, f64)>("call_two", (5i64, 0.5f64)).unwrap(), (5, 0.5));
}

#[test]
fn sharing_types_and_release() {
    assert!(matches!(Func::new(ft(&[ValType::FuncRef], &[]), |_| Ok(vec![])), Err(Error::Type(m)) if m.contains("funcref")));
    let f = Func::new(ft(&[I64, F64], &[I64, F64]), |a| Ok(a.to_vec())).unwrap();
    assert_eq!(f.ty(), ft(&[I64, F64], &[I64, F64]));
    assert!(Func::wrap(|x: i32| x).try_clone().is_none());
    // A Func of another type than the import's is refused at instantiation.
    let region = Region::new(2).unwrap();
    let imp = imports_with(&Arc::new(Mutex::new(Vec::new())), vec![], Some(("one", f.try_clone().unwrap())));
    match region.instance(&guest(), imp, None) {
        Err(Error::Api { name, .. }) => assert!(name == "lucet_error_import_type", "{}", name),
        r => panic!("wrong type: {:?}", r.map(|_| ())),
    }
    // One Func serves two instances; the instances keep its thunk after
    // the Func is dropped (a released thunk would stop the guest).
    let calls = Arc::new(Mutex::new(Vec::new()));
    let mk = |g: &Func| {
        let imp = imports_with(&calls, vec![], Some(("two", g.try_clone().unwrap())));
        region.instance(&guest(), imp, None).unwrap()
    };
    let (mut a, mut b) = (mk(&f), mk(&f));
    drop(f);
    assert_eq!(a.call::<_, (i64, f64)>("call_two", (1i64, 1.0f64)).unwrap(), (1, 1.0));
    assert_eq!(b.call::<_, (i64, f64)>("call_two", (2i64, 3.0f64)).unwrap(), (2, 3.0));
    drop(a);
    assert_eq!(b.call::<_, (i64, f64)>("call_two", (2i64, 3.0f64)).unwrap(), (2, 3.0));
}

#[test]
fn thunks_are_released_on_drop() {
    // More than the process's LUCET_HOST_THUNKS (4096): each Func's thunk
    // is released when it is dropped (or this fails with limits_exceeded).
    for i in 0..5000 {
        let f = Func::new(ft(&[I32], &[I64]), |_| Ok(vec![Val::I64(0)]));
        assert!(f.is_ok(), "Func {}: {:?}", i, f.err());
    }
}

#[test]
fn caller_memory() {
    // bindings/go/testdata/guest.wat: scale_plus_one(x) = host_scale(x) + 1;
    // scale_loop(n) adds 1 to the i32 at 4 after each of n host_scale calls.
    let dir = std::env::temp_dir().join(format!("lucet-wasi-rs-hostres-caller-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = dir.join("guest.wasm");
    let wat = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../go/testdata/guest.wat");
    let tool = std::env::var("WAT2WASM").unwrap_or_else(|_| "wat2wasm".to_string());
    assert!(Command::new(tool).arg(&wat).arg("-o").arg(&wasm).status().unwrap().success());
    guest(); // XDG_CACHE_HOME set once, to the test's own directory
    let module = Module::from_wasm(&wasm, 0).unwrap();
    let scale = Func::new_with_caller(ft(&[I64], &[I64]), |caller, a| {
        let mem = caller.memory();
        assert_eq!(mem.len(), 65536);
        if let Val::I64(x) = a[0] {
            mem[100] = x as u8;
        }
        Ok(vec![Val::I64(mem[4] as i64)]) // the guest's counter
    })
    .unwrap();
    let mut imp = Imports::new();
    imp.func("env", "host_scale", scale);
    imp.func("env", "host_f", Func::wrap(|a: f32, b: f64| a as f64 * b)); // both kinds in one instance
    let region = Region::new(1).unwrap();
    let mut inst = region.instance(&module, imp, None).unwrap();
    assert_eq!(inst.call::<_, i64>("scale_plus_one", (7i64,)).unwrap(), 1);
    assert_eq!(inst.call::<_, i32>("load", (100i32,)).unwrap(), 7); // written by the host
    assert_eq!(inst.call::<_, i32>("scale_loop", (3i32,)).unwrap(), 3);
    assert_eq!(inst.call::<_, i64>("scale_plus_one", (9i64,)).unwrap(), 4);
    assert_eq!(inst.call::<_, f64>("call_f", (2.5f32, 4.0f64)).unwrap(), 10.0);
}
