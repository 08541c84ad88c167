package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/dispatchgen/dispatchgen/model"
)

// typeCode spells t in the file of package pkgPath: types of that package
// unqualified, others through their import.
func typeCode(pkgPath string, t model.Type) jen.Code {
	switch t.Kind {
	case model.Basic, model.TypeParamRef:
		return jen.Id(t.Name)
	case model.Named:
		var name *jen.Statement
		if t.Path == "" || t.Path == pkgPath {
			name = jen.Id(t.Name)
		} else {
			name = jen.Qual(t.Path, t.Name)
		}
		if len(t.Args) > 0 {
			name = name.Types(typeList(pkgPath, t.Args)...)
		}
		return name
	case model.Pointer:
		return jen.Op("*").Add(typeCode(pkgPath, *t.Elem))
	case model.Slice:
		return jen.Index().Add(typeCode(pkgPath, *t.Elem))
	case model.Array:
		return jen.Index(jen.Lit(int(t.Len))).Add(typeCode(pkgPath, *t.Elem))
	case model.Map:
		return jen.Map(typeCode(pkgPath, *t.Key)).Add(typeCode(pkgPath, *t.Elem))
	case model.Chan:
		return chanCode(pkgPath, t)
	case model.Func:
		return jen.Func().Add(signature(pkgPath, t.Params, t.Results, t.Variadic))
	case model.Struct:
		fields := make([]jen.Code, len(t.Fields))
		for i, f := range t.Fields {
			var field *jen.Statement
			if f.Embedded {
				field = jen.Add(typeCode(pkgPath, f.Type))
			} else {
				field = jen.Id(f.Name).Add(typeCode(pkgPath, f.Type))
			}
			if f.Tag != "" {
				field = field.Add(jen.Lit(f.Tag))
			}
			fields[i] = field
		}
		return jen.Struct(fields...)
	case model.Interface:
		var elems []jen.Code
		for _, e := range t.Embeds {
			elems = append(elems, typeCode(pkgPath, e))
		}
		for _, m := range t.Methods {
			elems = append(elems, jen.Id(m.Name).Add(signature(pkgPath, m.Type.Params, m.Type.Results, m.Type.Variadic)))
		}
		return jen.Interface(elems...)
	case model.Union:
		s := jen.Null()
		for i, term := range t.Terms {
			if i > 0 {
				s = s.Op("|")
			}
			if term.Tilde {
				s = s.Op("~")
			}
			s = s.Add(typeCode(pkgPath, term.Type))
		}
		return s
	}
	panic("templates: unknown type kind")
}

func typeList(pkgPath string, ts []model.Type) []jen.Code {
	out := make([]jen.Code, len(ts))
	for i, t := range ts {
		out[i] = typeCode(pkgPath, t)
	}
	return out
}

// chanCode spells a channel type, with the parentheses that keep
// chan (<-chan T) from reading as chan<- chan T.
func chanCode(pkgPath string, t model.Type) jen.Code {
	elem := typeCode(pkgPath, *t.Elem)
	if t.Dir == model.SendRecv && t.Elem.Kind == model.Chan && t.Elem.Dir == model.RecvOnly {
		elem = jen.Parens(elem)
	}
	switch t.Dir {
	case model.SendOnly:
		return jen.Chan().Op("<-").Add(elem)
	case model.RecvOnly:
		return jen.Op("<-").Chan().Add(elem)
	}
	return jen.Chan().Add(elem)
}

// signature spells the parameters and results of a func type, unnamed.
func signature(pkgPath string, params, results []model.Var, variadic bool) jen.Code {
	ps := make([]jen.Code, len(params))
	for i, p := range params {
		if variadic && i == len(params)-1 {
			ps[i] = jen.Op("...").Add(typeCode(pkgPath, *p.Type.Elem))
		} else {
			ps[i] = typeCode(pkgPath, p.Type)
		}
	}
	s := jen.Params(ps...)
	switch len(results) {
	case 0:
		return s
	case 1:
		return s.Add(typeCode(pkgPath, results[0].Type))
	}
	return s.Params(typeList(pkgPath, varTypes(results))...)
}

func varTypes(vs []model.Var) []model.Type {
	out := make([]model.Type, len(vs))
	for i, v := range vs {
		out[i] = v.Type
	}
	return out
}
