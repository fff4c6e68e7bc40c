package archtest

import (
	"fmt"
	"go/parser"
	"go/token"
	"strconv"
)

// Import groups, in the order a file must list them.
const (
	groupStd   = iota // the standard library
	groupThird        // modules outside this one
	groupLocal        // this module (goimports -local github.com/mauth/mauth)
)

var groupNames = [...]string{"standard library", "third-party", Module}

// importGroup classifies an import path.
func importGroup(path string) int {
	switch {
	case path == Module || len(path) > len(Module) && path[:len(Module)+1] == Module+"/":
		return groupLocal
	case isStd(path):
		return groupStd
	default:
		return groupThird
	}
}

// CheckImportGroups checks the imports of one Go source file: the standard
// library first, then third-party modules, then this module, each in one
// group of its own (groups are separated by a blank line), as
// `goimports -local github.com/mauth/mauth` writes a fresh file. goimports
// keeps groups a file already has, so it misses a module import that sits
// among the standard library or a group split in two; this check does not.
// It returns one line per problem; a file that does not parse is reported
// too.
func CheckImportGroups(filename string, src []byte) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	seen := map[int]bool{} // groups already closed
	cur, curLine, lastEnd := -1, 0, -10
	for _, im := range f.Imports {
		path, err := strconv.Unquote(im.Path.Value)
		if err != nil {
			return []string{fmt.Sprintf("%s: bad import path %s", filename, im.Path.Value)}
		}
		start := im.Pos()
		if im.Doc != nil {
			start = im.Doc.Pos()
		}
		line := fset.Position(start).Line
		g := importGroup(path)
		newGroup := line > lastEnd+1
		lastEnd = fset.Position(im.End()).Line
		switch {
		case newGroup:
			if cur >= 0 {
				seen[cur] = true
			}
			if seen[g] || g < cur {
				problems = append(problems, fmt.Sprintf("%s:%d: %q starts a second or misplaced %s group (order: standard library, third-party, %s; one group each)",
					filename, line, path, groupNames[g], Module))
			}
			cur, curLine = g, line
		case g != cur:
			problems = append(problems, fmt.Sprintf("%s:%d: %s import %q in the %s group that starts at line %d",
				filename, line, groupNames[g], path, groupNames[cur], curLine))
		}
	}
	return problems
}
