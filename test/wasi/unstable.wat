;; A preview0 ("wasi_unstable") guest, as older toolchains emit. Each check
;; that fails exits with its own status (10, 11, ...) so a failure says which.
;; Run with --dir .:<empty dir>; prints "unstable ok".
(module
  (import "wasi_unstable" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "path_filestat_get" (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_unstable" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; 16: iovec for "unstable ok\n"; 32: the text; 64: path "f"; 80: "0123456789"
  (data (i32.const 16) "\20\00\00\00\0c\00\00\00")
  (data (i32.const 32) "unstable ok\n")
  (data (i32.const 64) "f")
  (data (i32.const 80) "0123456789")
  (data (i32.const 96) "\50\00\00\00\0a\00\00\00")  ;; iovec -> 80, len 10
  (func $check (param $ok i32) (param $code i32)
    (if (i32.eqz (local.get $ok)) (then (call $proc_exit (local.get $code)))))
  (func (export "_start") (local $fd i32) (local $t0 i64)
    ;; args: argc = 3 (program, "x", "yz"), buffer 3 strings
    (call $check (i32.eqz (call $args_sizes_get (i32.const 200) (i32.const 204))) (i32.const 10))
    (call $check (i32.eq (i32.load (i32.const 200)) (i32.const 3)) (i32.const 11))
    (call $check (i32.eqz (call $args_get (i32.const 300) (i32.const 400))) (i32.const 12))
    (call $check (i32.eq (i32.load8_u (i32.load (i32.const 304))) (i32.const 0x78)) (i32.const 13))
    ;; path_open("f", creat|trunc) under preopen 3, then write 10 bytes
    (call $check (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 1)
        (i32.const 9) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 208))) (i32.const 14))
    (local.set $fd (i32.load (i32.const 208)))
    (call $check (i32.eqz (call $fd_write (local.get $fd) (i32.const 96) (i32.const 1) (i32.const 212))) (i32.const 15))
    (call $check (i32.eq (i32.load (i32.const 212)) (i32.const 10)) (i32.const 16))
    ;; whence: 2 = set -> 3; 0 = cur +2 -> 5; 1 = end -1 -> 9
    (call $check (i32.eqz (call $fd_seek (local.get $fd) (i64.const 3) (i32.const 2) (i32.const 216))) (i32.const 17))
    (call $check (i64.eq (i64.load (i32.const 216)) (i64.const 3)) (i32.const 18))
    (call $check (i32.eqz (call $fd_seek (local.get $fd) (i64.const 2) (i32.const 0) (i32.const 216))) (i32.const 19))
    (call $check (i64.eq (i64.load (i32.const 216)) (i64.const 5)) (i32.const 20))
    (call $check (i32.eqz (call $fd_seek (local.get $fd) (i64.const -1) (i32.const 1) (i32.const 216))) (i32.const 21))
    (call $check (i64.eq (i64.load (i32.const 216)) (i64.const 9)) (i32.const 22))
    ;; whence 3 does not exist
    (call $check (i32.eq (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 3) (i32.const 216)) (i32.const 28)) (i32.const 23))
    ;; filestat: filetype u8 @16 = 4, nlink u32 @20 = 1, size @24 = 10; 56 bytes, @56 untouched
    (i64.store (i32.const 1056) (i64.const -1))
    (call $check (i32.eqz (call $fd_filestat_get (local.get $fd) (i32.const 1000))) (i32.const 24))
    (call $check (i32.eq (i32.load8_u (i32.const 1016)) (i32.const 4)) (i32.const 25))
    (call $check (i32.eq (i32.load (i32.const 1020)) (i32.const 1)) (i32.const 26))
    (call $check (i64.eq (i64.load (i32.const 1024)) (i64.const 10)) (i32.const 27))
    (call $check (i64.eq (i64.load (i32.const 1056)) (i64.const -1)) (i32.const 28))
    (call $check (i32.eqz (call $path_filestat_get (i32.const 3) (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 1100))) (i32.const 29))
    (call $check (i64.eq (i64.load (i32.const 1124)) (i64.const 10)) (i32.const 30))
    ;; clock: monotonic now, then poll_oneoff with a 56-byte clock subscription
    ;; (userdata @0, tag @8, identifier @16, id @24, timeout @32, flags @48):
    ;; 5 ms relative on the monotonic clock.
    (call $check (i32.eqz (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 220))) (i32.const 31))
    (local.set $t0 (i64.load (i32.const 220)))
    (i64.store (i32.const 2000) (i64.const 0x5555))
    (i32.store8 (i32.const 2008) (i32.const 0))
    (i64.store (i32.const 2016) (i64.const 0))
    (i32.store (i32.const 2024) (i32.const 1))
    (i64.store (i32.const 2032) (i64.const 5000000))
    (i64.store (i32.const 2040) (i64.const 0))
    (i32.store16 (i32.const 2048) (i32.const 0))
    (call $check (i32.eqz (call $poll_oneoff (i32.const 2000) (i32.const 3000) (i32.const 1) (i32.const 224))) (i32.const 32))
    (call $check (i32.eq (i32.load (i32.const 224)) (i32.const 1)) (i32.const 33))
    (call $check (i64.eq (i64.load (i32.const 3000)) (i64.const 0x5555)) (i32.const 34))
    (call $check (i32.eqz (i32.load16_u (i32.const 3008))) (i32.const 35))
    (call $check (i32.eqz (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 220))) (i32.const 36))
    (call $check (i64.ge_u (i64.sub (i64.load (i32.const 220)) (local.get $t0)) (i64.const 5000000)) (i32.const 37))
    ;; done
    (call $check (i32.eqz (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 228))) (i32.const 38))))
