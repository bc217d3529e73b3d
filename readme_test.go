package omnixan

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadmeQuickStart checks that the README's quick start is the body of
// Example_basicSetup, verbatim (less one level of indentation), so that
// the README shows code that compiles, runs and prints what it says.
func TestReadmeQuickStart(t *testing.T) {
	want := exampleBody(t, "example_test.go", "Example_basicSetup")
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := quickStartBlock(string(readme))
	if !ok {
		t.Fatal(`README.md has no "## Quick start" section with a go code block`)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README quick start differs from Example_basicSetup's body (-example +readme):\n%s", diff)
	}
}

// exampleBody returns the body of function name in file, without its
// braces and with one tab of indentation removed from every line.
func exampleBody(t *testing.T, file, name string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != name {
			continue
		}
		body := string(src[fset.Position(fd.Body.Lbrace).Offset+1 : fset.Position(fd.Body.Rbrace).Offset])
		var b strings.Builder
		for _, l := range strings.Split(strings.Trim(body, "\n"), "\n") {
			b.WriteString(strings.TrimPrefix(l, "\t"))
			b.WriteByte('\n')
		}
		return b.String()
	}
	t.Fatalf("%s has no func %s", file, name)
	return ""
}

// quickStartBlock returns the first ```go block of the "## Quick start"
// section.
func quickStartBlock(readme string) (string, bool) {
	_, sec, ok := strings.Cut(readme, "\n## Quick start\n")
	if !ok {
		return "", false
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	_, code, ok := strings.Cut(sec, "```go\n")
	if !ok {
		return "", false
	}
	code, _, ok = strings.Cut(code, "```")
	return code, ok
}

// TestAPIDocWorkedExample checks that docs/api.md's worked example is
// Example_externalOrchestrator's types and body, verbatim.
func TestAPIDocWorkedExample(t *testing.T) {
	doc, err := os.ReadFile("docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	from := strings.Index(s, "// fleet is a ContainerOrchestrator")
	to := strings.Index(s, "// Integration of an external orchestrator")
	if from < 0 || to < from {
		t.Fatal("example_test.go: the worked example's types are not where the test looks")
	}
	decls := strings.TrimRight(s[from:to], "\n") + "\n"
	body := exampleBody(t, "example_test.go", "Example_externalOrchestrator")
	for what, code := range map[string]string{"types": decls, "body": body} {
		if !strings.Contains(string(doc), "```go\n"+code+"```") {
			t.Errorf("docs/api.md does not hold Example_externalOrchestrator's %s verbatim", what)
		}
	}
}
