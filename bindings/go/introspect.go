package lucet

/*
#include <stdlib.h>
#include "lucet_wasi.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// ExternKind is the kind of an import or export.
type ExternKind int

const (
	KindFunc   ExternKind = 0
	KindTable  ExternKind = 1
	KindMemory ExternKind = 2
	KindGlobal ExternKind = 3
)

func (k ExternKind) String() string {
	switch k {
	case KindFunc:
		return "func"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	}
	return fmt.Sprintf("ExternKind(%d)", int(k))
}

// Limits of a table (elements) or memory (64 KiB pages); Max is meaningful
// when HasMax.
type Limits struct {
	Min, Max uint64
	HasMax   bool
}

// ExternType is an import or export with its type, from the module's
// introspection (lucet_dl_module_export_type and friends).
type ExternType struct {
	Kind   ExternKind
	Module string // imports only
	Name   string
	Index  uint32 // in the kind's index space, imports first
	// KindFunc
	Params, Results []ValType
	// KindGlobal
	GlobalType    ValType
	GlobalMutable bool
	// KindTable: ElemType (FuncRef or ExternRef) and Limits; KindMemory: Limits
	ElemType ValType
	Limits   Limits
}

func goExtern(t *C.struct_lucet_extern_type, isImport bool) ExternType {
	out := ExternType{Kind: ExternKind(t.kind), Index: uint32(t.index)}
	if isImport && t.module != nil {
		out.Module = C.GoStringN(t.module, C.int(t.module_len))
	}
	if t.name != nil {
		out.Name = C.GoStringN(t.name, C.int(t.name_len))
	}
	switch out.Kind {
	case KindFunc:
		for _, b := range unsafe.Slice((*uint8)(unsafe.Pointer(t.params)), int(t.nparams)) {
			out.Params = append(out.Params, ValType(b))
		}
		for _, b := range unsafe.Slice((*uint8)(unsafe.Pointer(t.results)), int(t.nresults)) {
			out.Results = append(out.Results, ValType(b))
		}
	case KindGlobal:
		out.GlobalType, out.GlobalMutable = ValType(t.global_type), t.global_mutable != 0
	case KindTable, KindMemory:
		if out.Kind == KindTable {
			out.ElemType = ValType(t.table_elem_type)
		}
		out.Limits = Limits{Min: uint64(t.limits.min), Max: uint64(t.limits.max), HasMax: t.limits.has_max != 0}
	}
	return out
}

func (m *Module) list(imports bool) ([]ExternType, error) {
	var n C.size_t
	if err := call(func() C.enum_lucet_error {
		if imports {
			return C.lucet_dl_module_import_count(m.h, &n)
		}
		return C.lucet_dl_module_export_count(m.h, &n)
	}); err != nil {
		return nil, err
	}
	out := make([]ExternType, 0, int(n))
	t := (*C.struct_lucet_extern_type)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_lucet_extern_type{}))))
	defer C.free(unsafe.Pointer(t))
	for i := C.size_t(0); i < n; i++ {
		if err := call(func() C.enum_lucet_error {
			if imports {
				return C.lucet_dl_module_import_type(m.h, i, t)
			}
			return C.lucet_dl_module_export_type(m.h, i, t)
		}); err != nil {
			return nil, err
		}
		out = append(out, goExtern(t, imports))
	}
	return out, nil
}

// Exports lists the module's exports with their types, in declaration order.
func (m *Module) Exports() ([]ExternType, error) { return m.list(false) }

// Imports lists the module's imports with their types, in declaration order.
func (m *Module) Imports() ([]ExternType, error) { return m.list(true) }

// Export finds the export `name`; ok is false if there is none.
func (m *Module) Export(name string) (et ExternType, ok bool, err error) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	t := (*C.struct_lucet_extern_type)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_lucet_extern_type{}))))
	defer C.free(unsafe.Pointer(t))
	err = call(func() C.enum_lucet_error { return C.lucet_dl_module_find_export(m.h, cs, t) })
	if e, isErr := err.(*Error); isErr && e.Code == int(C.lucet_error_export_not_found) {
		return ExternType{}, false, nil
	}
	if err != nil {
		return ExternType{}, false, err
	}
	return goExtern(t, false), true, nil
}
