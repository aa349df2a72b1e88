// main.go: embedding liblucet_wasi in a Go program with the lucet package
// (bindings/go, cgo).
//
//	go build -o embed-go . && ./embed-go guest.so guest_wasi.so
//
// guest.so and guest_wasi.so are examples/embed-c/guest.wat and guest_wasi.c
// compiled by lucetc. Runs a WASI program, calls exports with arguments,
// provides a host function written in Go, handles traps, and checks that
// Go's own fault handling still works next to the runtime's.
package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"lucet-wasi.local/lucet"
)

// nilDeref makes a real SIGSEGV in Go code: the runtime's handler must pass
// it on to Go's, which turns it into a panic.
func nilDeref() (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	var p *int
	*p = 1
	return "no panic"
}

func run(guestPath, wasiPath string) error {
	region, err := lucet.NewRegion(2)
	if err != nil {
		return err
	}
	defer region.Close()

	wasiMod, err := lucet.LoadModule(wasiPath)
	if err != nil {
		return err
	}
	defer wasiMod.Close()
	w, err := region.NewInstance(wasiMod, lucet.Config{Wasi: &lucet.Wasi{
		Args: []string{"guest_wasi", "from", "Go"}, Env: map[string]string{"GREETING": "hello from Go"},
		InheritStdio: true}})
	if err != nil {
		return err
	}
	if _, err := w.Run("_start"); err != nil {
		return err
	}
	fmt.Println("wasi: _start returned")
	w.Close()

	mod, err := lucet.LoadModule(guestPath)
	if err != nil {
		return err
	}
	defer mod.Close()
	// env.host_scale: (i64) -> i64, a Go closure with its own state.
	calls := 0
	scale, err := lucet.NewFunc([]lucet.ValType{lucet.I64}, []lucet.ValType{lucet.I64},
		func(c *lucet.Caller, args []lucet.Val) ([]lucet.Val, error) {
			calls++
			fmt.Printf("host_scale(%d) called\n", args[0].I64())
			return []lucet.Val{lucet.ValI64(args[0].I64() * 3)}, nil
		})
	if err != nil {
		return err
	}
	defer scale.Close()
	inst, err := region.NewInstance(mod, lucet.Config{Imports: []lucet.Import{{Module: "env", Name: "host_scale", Func: scale}}})
	if err != nil {
		return err
	}
	defer inst.Close()

	r, err := inst.Run("add", int32(40), int32(2))
	if err != nil {
		return err
	}
	fmt.Printf("add(40, 2) = %d\n", r[0].I32())
	r, err = inst.Run("scale_plus_one", int64(14))
	if err != nil {
		return err
	}
	fmt.Printf("scale_plus_one(14) = %d (host calls: %d)\n", r[0].I64(), calls)

	var trap *lucet.Trap
	if _, err = inst.Run("div", int32(1), int32(0)); !errors.As(err, &trap) {
		return fmt.Errorf("div(1, 0) did not trap: %v", err)
	}
	fmt.Printf("div(1, 0) trapped: %s (%s)\n", trap.Name, trap.ErrorName())
	if r, err = inst.Run("div", int32(7), int32(2)); err != nil {
		return err
	}
	fmt.Printf("after the trap, div(7, 2) = %d\n", r[0].I32())
	if _, err = inst.Run("load", int32(100000)); !errors.As(err, &trap) {
		return fmt.Errorf("load(100000) did not trap: %v", err)
	}
	fmt.Printf("load(100000) trapped: %s (%s)\n", trap.Name, trap.ErrorName())

	// An endless guest, stopped by a kill switch from another goroutine.
	ks, err := inst.KillSwitch()
	if err != nil {
		return err
	}
	defer ks.Close()
	timer := time.AfterFunc(20*time.Millisecond, func() { ks.Terminate() })
	var exit *lucet.Exit
	if _, err = inst.Run("spin"); !errors.As(err, &exit) || !exit.Killed {
		return fmt.Errorf("spin() was not killed: %v", err)
	}
	timer.Stop()
	fmt.Println("spin() stopped by the kill switch")

	fmt.Printf("go nil dereference recovered: %s\n", nilDeref())
	return nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintf(os.Stderr, "usage: %s guest.so guest_wasi.so\n", os.Args[0])
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "embed-go:", err)
		os.Exit(1)
	}
	fmt.Println("embed-go: ok")
}
