// Package configfile decodes YAML configuration files strictly and reports
// problems as one line that names the file, the line, the field and what is
// allowed:
//
//	configs/scenarios/wan.yaml:14: network.default.loss: 1.5 is out of range; allowed: a probability in [0, 1]
//
// Decoding rejects unknown fields. Semantic checks are done by the caller on
// the decoded struct; they return FieldErrors carrying a dotted path
// ("partitions[1].groups"), which Decode turns into a line number by walking
// the YAML node tree.
package configfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ReadFile reads a config file of at most maxBytes: a larger one is refused
// before it is decoded (decoding YAML takes many times the file's size in
// memory).
func ReadFile(path string, maxBytes int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &FieldError{File: path, Msg: fmt.Sprintf("%v; allowed: a readable file", err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, &FieldError{File: path, Msg: fmt.Sprintf("%v; allowed: a readable file", err)}
	}
	if int64(len(data)) > maxBytes {
		return nil, &FieldError{File: path, Msg: fmt.Sprintf("more than %d bytes; allowed: a config file of at most %d bytes", maxBytes, maxBytes)}
	}
	return data, nil
}

// FieldError is a problem with one field of a config.
type FieldError struct {
	File string // set by Decode
	Line int    // set by Decode when the field is present in the file; 0 otherwise
	Path string // dotted path, sequence indices in brackets: "network.links[2].loss"
	Msg  string // what is wrong and what is allowed
	// Column, with Line, locates the value when Path is empty (a type's
	// own UnmarshalYAML knows its node, not its path); not printed.
	Column int
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errorf builds a FieldError for path.
func Errorf(path, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Validator is implemented by config structs that check their own values.
// It returns the first problem found, or nil.
type Validator interface {
	Validate() *FieldError
}

// Decode strictly decodes data (read from file, used in messages) into v,
// then runs v.Validate if v implements Validator. Every error it returns is a
// *FieldError with File and, where the YAML has one, Line set.
func Decode(file string, data []byte, v any) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return yamlError(file, &root, v, err)
	}
	if len(root.Content) == 0 {
		return &FieldError{File: file, Msg: "the file is empty; allowed: a YAML mapping"}
	}
	if fe := checkScalars(&root, reflect.TypeOf(v), ""); fe != nil {
		fe.File = file
		return fe
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return yamlError(file, &root, v, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return &FieldError{File: file, Line: next.Line, Msg: "a second YAML document; allowed: one document per file"}
	} else if !errors.Is(err, io.EOF) {
		return yamlError(file, &root, v, err)
	}
	if val, ok := v.(Validator); ok {
		if fe := val.Validate(); fe != nil {
			fe.File = file
			if fe.Line == 0 {
				fe.Line = Line(&root, fe.Path)
			}
			return fe
		}
	}
	return nil
}

var (
	unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type (\S+)`)
	typeMismatch = regexp.MustCompile(`^line (\d+): cannot unmarshal !!(\w+) ` + "`" + `([^` + "`" + `]*)` + "`" + ` into (\S+)`)
	lineMsg      = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// yamlError rewrites the decoder's first error in our one-line format. A
// FieldError from a type's own UnmarshalYAML gets the file and the path of
// its line.
func yamlError(file string, root *yaml.Node, v any, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		fe.File = file
		if fe.Path == "" {
			fe.Path = pathOfNode(root, fe.Line, fe.Column)
		}
		return fe
	}
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		path := pathAtLine(root, line, m[2])
		allowed := "the fields documented for " + parentName(path)
		if keys := allowedFields(reflect.TypeOf(v), path); len(keys) > 0 {
			allowed = strings.Join(keys, ", ")
		}
		return &FieldError{File: file, Line: line, Path: path,
			Msg: fmt.Sprintf("unknown field %q; allowed: %s", m[2], allowed)}
	}
	if m := typeMismatch.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &FieldError{File: file, Line: line, Path: pathOfValueAtLine(root, line),
			Msg: fmt.Sprintf("%q is %s; allowed: %s", m[3], yamlTagWords(m[2]), goTypeWords(m[4]))}
	}
	if m := lineMsg.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &FieldError{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &FieldError{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// checkScalars walks the document along the Go type it decodes into and
// refuses scalars the decoder would convert silently: a number with a
// fraction into an integer field (it would be truncated: "nodes: 1.5" would
// run one node), and anything but true or false into a boolean, or a
// boolean into a number. Types that decode themselves (yaml.Unmarshaler)
// and untyped values (any) are left to their own checks.
func checkScalars(n *yaml.Node, t reflect.Type, path string) *FieldError {
	if n == nil || t == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			if fe := checkScalars(c, t, path); fe != nil {
				return fe
			}
		}
		return nil
	}
	if n.Kind == yaml.AliasNode {
		return checkScalars(n.Alias, t, path)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(obsoleteUnmarshalerType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // the decoder reports the mismatch
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if ft, ok := fieldByKey(t, key); ok {
				if fe := checkScalars(n.Content[i+1], ft, join(path, key)); fe != nil {
					return fe
				}
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if fe := checkScalars(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); fe != nil {
				return fe
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, c := range n.Content {
			if fe := checkScalars(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); fe != nil {
				return fe
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!int" {
			return &FieldError{Line: n.Line, Path: path, Msg: fmt.Sprintf("%q is %s; allowed: %s", n.Value, yamlTagWords(strings.TrimPrefix(n.ShortTag(), "!!")), goTypeWords(t.String()))}
		}
	case reflect.Float32, reflect.Float64:
		if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!int" && n.ShortTag() != "!!float" {
			return &FieldError{Line: n.Line, Path: path, Msg: fmt.Sprintf("%q is %s; allowed: a number", n.Value, yamlTagWords(strings.TrimPrefix(n.ShortTag(), "!!")))}
		}
	case reflect.Bool:
		if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!bool" {
			return &FieldError{Line: n.Line, Path: path, Msg: fmt.Sprintf("%q is %s; allowed: true or false", n.Value, yamlTagWords(strings.TrimPrefix(n.ShortTag(), "!!")))}
		}
	}
	return nil
}

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	// The older form of yaml.Unmarshaler, which yaml.v3 still honours.
	obsoleteUnmarshalerType = reflect.TypeFor[interface {
		UnmarshalYAML(unmarshal func(any) error) error
	}]()
)

// yamlTagWords names a YAML tag in words.
func yamlTagWords(tag string) string {
	switch tag {
	case "str":
		return "a string"
	case "int":
		return "an integer"
	case "float":
		return "a number"
	case "bool":
		return "a boolean"
	case "map":
		return "a mapping"
	case "seq":
		return "a list"
	}
	return "a " + tag
}

// goTypeWords says in words what a Go type accepts.
func goTypeWords(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping"
	case strings.Contains(goType, "float"):
		return "a number"
	case strings.Contains(goType, "uint"):
		return "a non-negative integer"
	case strings.Contains(goType, "int"):
		return "an integer"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a string"
	}
	return "a mapping of the documented fields"
}

// Line returns the line of the value at path in the document, or of the
// nearest enclosing node present in the file; 0 if the document is empty.
func Line(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, step := range splitPath(path) {
		next := child(n, step)
		if next == nil {
			return line
		}
		n = next
		line = n.Line
	}
	return line
}

// child steps from n by a mapping key or a "[i]" index. For mapping keys it
// returns the key node, so the line points at "field:" rather than the value.
func child(n *yaml.Node, step string) *yaml.Node {
	if n.Kind == yaml.MappingNode && n.Content == nil {
		return nil
	}
	// A step returned as a key node must be re-resolved to its value before
	// stepping further; valueOf does that.
	n = valueOf(n)
	if strings.HasPrefix(step, "[") {
		i, err := strconv.Atoi(strings.Trim(step, "[]"))
		if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
			return nil
		}
		return n.Content[i]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == step {
			k := *n.Content[i]
			k.Content = []*yaml.Node{n.Content[i+1]} // remember the value
			k.Tag = "!!ballast-key"
			return &k
		}
	}
	return nil
}

func valueOf(n *yaml.Node) *yaml.Node {
	if n.Tag == "!!ballast-key" && len(n.Content) == 1 {
		return n.Content[0]
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0]
	}
	return n
}

func splitPath(path string) []string {
	if path == "" {
		return nil
	}
	var steps []string
	for _, part := range strings.Split(path, ".") {
		for part != "" {
			if i := strings.IndexByte(part, '['); i > 0 {
				steps = append(steps, part[:i])
				part = part[i:]
				continue
			}
			if strings.HasPrefix(part, "[") {
				j := strings.IndexByte(part, ']')
				if j < 0 {
					steps = append(steps, part)
					break
				}
				steps = append(steps, part[:j+1])
				part = part[j+1:]
				continue
			}
			steps = append(steps, part)
			break
		}
	}
	return steps
}

// findPath walks root in document order and returns the path of the
// first node for which match is true ("" if none): key is the mapping key
// of a mapping's value (nil for a sequence element), parent the
// collection that holds n.
func findPath(root *yaml.Node, match func(n, key, parent *yaml.Node) bool) string {
	var found string
	var walk func(n, key, parent *yaml.Node, path string) bool
	walk = func(n, key, parent *yaml.Node, path string) bool {
		if parent != nil && match(n, key, parent) {
			found = path
			return true
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if walk(c, nil, nil, path) {
					return true
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if walk(n.Content[i+1], n.Content[i], n, join(path, n.Content[i].Value)) {
					return true
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				if walk(c, nil, n, fmt.Sprintf("%s[%d]", path, i)) {
					return true
				}
			}
		}
		return false
	}
	walk(root, nil, nil, "")
	return found
}

// pathAtLine finds the dotted path of the mapping key named key on line.
func pathAtLine(root *yaml.Node, line int, key string) string {
	found := findPath(root, func(_, k, _ *yaml.Node) bool { return k != nil && k.Line == line && k.Value == key })
	if found == "" {
		return key
	}
	return found
}

// pathOfNode finds the path of the value node at line and column (the
// first value on the line if column is 0).
func pathOfNode(root *yaml.Node, line, column int) string {
	found := ""
	if column != 0 {
		found = findPath(root, func(n, _, _ *yaml.Node) bool { return n.Line == line && n.Column == column })
	}
	if found == "" {
		return pathOfValueAtLine(root, line)
	}
	return found
}

// pathOfValueAtLine finds the path of the first value on line: a scalar,
// or a mapping's value that is a sequence (a flow list on the key's line).
func pathOfValueAtLine(root *yaml.Node, line int) string {
	return findPath(root, func(n, _, parent *yaml.Node) bool {
		return n.Line == line && (n.Kind == yaml.ScalarNode || parent.Kind == yaml.MappingNode && n.Kind != yaml.MappingNode)
	})
}

// allowedFields lists the YAML keys the Go type declares at the mapping that
// holds path's last step, following yaml tags and ",inline" fields.
func allowedFields(t reflect.Type, path string) []string {
	steps := splitPath(path)
	if len(steps) > 0 {
		steps = steps[:len(steps)-1]
	}
	for _, step := range steps {
		t = deref(t)
		if strings.HasPrefix(step, "[") {
			if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
				return nil
			}
			t = t.Elem()
			continue
		}
		f, ok := fieldByKey(t, step)
		if !ok {
			return nil
		}
		t = f
	}
	var keys []string
	collectKeys(deref(t), &keys)
	return keys
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func yamlKey(f reflect.StructField) (key string, inline bool) {
	tag := f.Tag.Get("yaml")
	name, opts, _ := strings.Cut(tag, ",")
	if strings.Contains(opts, "inline") {
		return "", true
	}
	if name == "-" || !f.IsExported() {
		return "", false
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, false
}

func fieldByKey(t reflect.Type, key string) (reflect.Type, bool) {
	if t.Kind() != reflect.Struct {
		return nil, false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, inline := yamlKey(f)
		if inline {
			if ft, ok := fieldByKey(deref(f.Type), key); ok {
				return ft, true
			}
			continue
		}
		if name == key {
			return f.Type, true
		}
	}
	return nil, false
}

func collectKeys(t reflect.Type, keys *[]string) {
	if t.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, inline := yamlKey(f)
		if inline {
			collectKeys(deref(f.Type), keys)
		} else if name != "" {
			*keys = append(*keys, name)
		}
	}
}

func parentName(path string) string {
	steps := splitPath(path)
	if len(steps) <= 1 {
		return "the top level"
	}
	return strings.Join(steps[:len(steps)-1], ".")
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
