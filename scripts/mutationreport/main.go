// Command mutationreport turns gremlins' JSON results into docs/test-strength.md:
// per package the mutants, killed, lived, not covered, efficacy and mutant coverage,
// then every mutant that lived with the source line it mutated and, where the mutant
// is equivalent (no behaviour can tell it from the original), why.
//
// It is run by scripts/mutation; it is not part of the product.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// results is the part of gremlins' JSON output the report reads.
type results struct {
	Files []struct {
		FileName  string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
}

type mutant struct {
	file   string // relative to the repository root
	typ    string
	status string
	line   int
	column int
	source string // the mutated line, trimmed
}

type tally struct {
	killed, lived, timedOut, notCovered, notViable int
	// killedSince counts the lived mutants that tests added after the run
	// kill (killedSince in the equivalent file).
	killedSince int
}

func (t tally) total() int { return t.killed + t.lived + t.timedOut + t.notCovered + t.notViable }

// efficacy is the share of the mutants the tests ran that they detected (a mutant
// that makes the tests hang past the timeout is detected too).
func (t tally) efficacy() float64 { return t.efficacyWith(0) }

// efficacySince is efficacy with the lived mutants that later tests kill
// counted as detected.
func (t tally) efficacySince() float64 { return t.efficacyWith(t.killedSince) }

// efficacyWith is efficacy with extra lived mutants counted as detected.
func (t tally) efficacyWith(extra int) float64 {
	ran := t.killed + t.timedOut + t.lived
	if ran == 0 {
		return 0
	}
	return 100 * float64(t.killed+t.timedOut+extra) / float64(ran)
}

// coverage is the share of the viable mutants that at least one test executes.
func (t tally) coverage() float64 {
	viable := t.killed + t.timedOut + t.lived + t.notCovered
	if viable == 0 {
		return 0
	}
	return 100 * float64(t.killed+t.timedOut+t.lived) / float64(viable)
}

func main() {
	dir := flag.String("results", "", "directory of gremlins JSON results, one per mutated directory (name: the directory with / as _)")
	equivalent := flag.String("equivalent", "", "file of equivalent mutants: file<TAB>type<TAB>source line<TAB>why")
	command := flag.String("command", "scripts/mutation", "the command that produced the results")
	workers := flag.String("workers", "", "gremlins workers")
	version := flag.String("gremlins", "", "gremlins version")
	out := flag.String("out", "docs/test-strength.md", "report to write")
	baseline := flag.String("baseline", "", "file of earlier figures: package<TAB>efficacy<TAB>mutant coverage<TAB>when, for a before/after table")
	notes := flag.String("notes", "", "Markdown file whose text is added under \"Notes on this run\" (absent: none)")
	flag.Parse()

	mutants, runs, err := load(*dir)
	if err != nil {
		fail(err)
	}
	why, err := loadEquivalent(*equivalent)
	if err != nil {
		fail(err)
	}
	before, err := loadBaseline(*baseline)
	if err != nil {
		fail(err)
	}
	report := render(mutants, runs, why, before, *command, *workers, *version)
	if *notes != "" {
		text, err := os.ReadFile(*notes)
		if err != nil && !os.IsNotExist(err) {
			fail(err)
		}
		if len(text) > 0 {
			report += "\n## Notes on this run\n\n" + string(text)
		}
	}
	if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mutationreport:", err)
	os.Exit(1)
}

// run is one gremlins run over a directory: "<commit> <elapsed> <finished at>",
// as scripts/mutation writes it beside the results.
type run struct {
	dir, meta string
}

func load(dir string) ([]mutant, []run, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, nil, err
	}
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("no results in %q", dir)
	}
	var all []mutant
	var runs []run
	for _, name := range names {
		root := strings.ReplaceAll(strings.TrimSuffix(filepath.Base(name), ".json"), "_", "/")
		meta, _ := os.ReadFile(strings.TrimSuffix(name, ".json") + ".meta")
		runs = append(runs, run{dir: root, meta: strings.TrimSpace(string(meta))})
		commit := ""
		if f := strings.Fields(string(meta)); len(f) > 0 {
			commit = strings.TrimSuffix(f[0], "+changes")
		}
		raw, err := os.ReadFile(name)
		if err != nil {
			return nil, nil, err
		}
		var r results
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, f := range r.Files {
			file := path.Join(root, f.FileName)
			lines, err := readLines(file, commit)
			if err != nil {
				return nil, nil, err
			}
			for _, m := range f.Mutations {
				src := ""
				if m.Line >= 1 && m.Line <= len(lines) {
					src = strings.TrimSpace(lines[m.Line-1])
				}
				all = append(all, mutant{file: file, typ: m.Type, status: m.Status, line: m.Line, column: m.Column, source: src})
			}
		}
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.file != b.file {
			return a.file < b.file
		}
		if a.line != b.line {
			return a.line < b.line
		}
		if a.column != b.column {
			return a.column < b.column
		}
		return a.typ < b.typ
	})
	return all, runs, nil
}

// readLines reads file as it was at commit, the tree the mutants were made
// from, so that each mutant is shown with its own line however the file
// changed since; from the working tree when commit is empty or unknown to
// git (a run of uncommitted changes has no other record).
func readLines(file, commit string) ([]string, error) {
	if commit != "" && commit != "unknown" {
		if raw, err := exec.Command("git", "show", commit+":"+file).Output(); err == nil {
			return strings.Split(string(raw), "\n"), nil
		}
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return strings.Split(string(raw), "\n"), nil
}

// knownGap starts the reason of a mutant in the equivalent file that is not
// equivalent but that the unit tests cannot reach (the reason says what
// covers it instead); the report shows it as such, not as equivalent.
const knownGap = "gap:"

// killedSince starts the reason of a mutant that lived in the run the report
// shows but that a test added after that run kills (the reason names the
// test, seen failing under the mutant applied by hand): the report shows it
// as such, and the figures stay the run's until the next run counts it.
const killedSince = "killed:"

// equivalentKey names a mutant by what it changes, not where: lines move when code
// is edited, the line's text and the mutation type do not.
func equivalentKey(file, typ, source string) string {
	return file + "\t" + typ + "\t" + source
}

// loadEquivalent reads the mutants known to be equivalent, with why, keyed by equivalentKey.
func loadEquivalent(name string) (map[string]string, error) {
	why := map[string]string{}
	err := eachRecord(name, func(n int, line string) error {
		parts := strings.SplitN(line, "\t", 4)
		if len(parts) != 4 {
			return fmt.Errorf("%s:%d: want file<TAB>type<TAB>source<TAB>why", name, n)
		}
		why[equivalentKey(parts[0], parts[1], strings.TrimSpace(parts[2]))] = parts[3]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return why, nil
}

// loadBaseline reads earlier figures per package (comments and blank lines skipped).
func loadBaseline(name string) (map[string][]string, error) {
	out := map[string][]string{}
	err := eachRecord(name, func(n int, line string) error {
		parts := strings.Split(line, "\t")
		if len(parts) != 4 {
			return fmt.Errorf("%s:%d: want package<TAB>efficacy<TAB>mutant coverage<TAB>when", name, n)
		}
		out[parts[0]] = parts[1:]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachRecord calls each with every line of file name that is neither blank
// nor a comment (#), and its line number from 1. An empty name or a missing
// file has no records: both files are optional.
func eachRecord(name string, each func(n int, line string) error) error {
	if name == "" {
		return nil
	}
	f, err := os.Open(name)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	n := 0
	for s.Scan() {
		n++
		line := s.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := each(n, line); err != nil {
			return err
		}
	}
	return s.Err()
}

func render(mutants []mutant, runs []run, why map[string]string, before map[string][]string, command, workers, version string) string {
	byPkg := map[string]*tally{}
	var pkgs []string
	for _, m := range mutants {
		pkg := path.Dir(m.file)
		t, ok := byPkg[pkg]
		if !ok {
			t = &tally{}
			byPkg[pkg] = t
			pkgs = append(pkgs, pkg)
		}
		switch m.status {
		case "KILLED":
			t.killed++
		case "LIVED":
			t.lived++
			if strings.HasPrefix(why[equivalentKey(m.file, m.typ, m.source)], killedSince) {
				t.killedSince++
			}
		case "TIMED OUT":
			t.timedOut++
		case "NOT COVERED":
			t.notCovered++
		case "NOT VIABLE":
			t.notViable++
		}
	}
	sort.Strings(pkgs)

	var b strings.Builder
	fmt.Fprintf(&b, "# Test strength\n\n")
	fmt.Fprintf(&b, "Generated by `%s` (gremlins %s, %s workers). Do not edit by hand: edit the tests, or\n", command, version, workers)
	fmt.Fprintf(&b, "`docs/test-strength-equivalent.txt` for a mutant no test can tell from the original, and run it again\n")
	fmt.Fprintf(&b, "(`MUTATION_PACKAGES=workflows scripts/mutation` refreshes one directory and keeps the others' results).\n\n")
	fmt.Fprintf(&b, "| directory mutated | tree (commit) | run time | finished |\n|---|---|---:|---|\n")
	for _, r := range runs {
		f := strings.Fields(r.meta)
		for len(f) < 3 {
			f = append(f, "?")
		}
		fmt.Fprintf(&b, "| `%s/` | %s | %s | %s |\n", r.dir, f[0], f[1], f[2])
	}
	fmt.Fprintf(&b, "\n")
	fmt.Fprintf(&b, "Each mutant is one change of one operator of the product code (a condition negated, a boundary\n")
	fmt.Fprintf(&b, "moved, `+` for `-`, `++` for `--`, a sign dropped), run against the unit tests of its own package.\n")
	fmt.Fprintf(&b, "Killed: a test failed. Timed out: the tests hung (counted as detected). Lived: every test passed.\n")
	fmt.Fprintf(&b, "Not covered: no test executes the line. Efficacy = detected / (detected + lived); mutant coverage =\n")
	fmt.Fprintf(&b, "(detected + lived) / (detected + lived + not covered). Goal: efficacy ≥ 85%% and mutant coverage ≥ 80%%.\n\n")
	fmt.Fprintf(&b, "| package | mutants | killed | timed out | lived | not covered | not viable | efficacy | mutant coverage |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range pkgs {
		t := byPkg[p]
		fmt.Fprintf(&b, "| `%s` | %d | %d | %d | %d | %d | %d | %.1f%% | %.1f%% |\n",
			p, t.total(), t.killed, t.timedOut, t.lived, t.notCovered, t.notViable, t.efficacy(), t.coverage())
	}
	var since []string
	for _, p := range pkgs {
		if t := byPkg[p]; t.killedSince > 0 {
			since = append(since, fmt.Sprintf("`%s` %d of %d (efficacy %.1f%% with them)", p, t.killedSince, t.lived, t.efficacySince()))
		}
	}
	if len(since) > 0 {
		fmt.Fprintf(&b, "\nLived in the run but killed by tests added after it (listed below; the next run counts them): %s.\n",
			strings.Join(since, "; "))
	}

	if len(before) > 0 {
		fmt.Fprintf(&b, "\nBefore and after (`docs/test-strength-baseline.txt` holds the before figures):\n\n")
		fmt.Fprintf(&b, "| package | efficacy before | efficacy now | mutant coverage before | mutant coverage now | before measured |\n")
		fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---|\n")
		for _, p := range pkgs {
			bf, ok := before[p]
			if !ok {
				bf = []string{"?", "?", "?"}
			}
			t := byPkg[p]
			fmt.Fprintf(&b, "| `%s` | %s | %.1f%% | %s | %.1f%% | %s |\n", p, bf[0], t.efficacy(), bf[1], t.coverage(), bf[2])
		}
	}

	fmt.Fprintf(&b, "\n## Mutants that lived\n\n")
	fmt.Fprintf(&b, "Each is equivalent (the reason given), killed by a test added after the run, or a gap the tests still have.\n\n")
	any := false
	for _, m := range mutants {
		if m.status != "LIVED" {
			continue
		}
		any = true
		reason, ok := why[equivalentKey(m.file, m.typ, m.source)]
		switch {
		case !ok:
			reason = "**not explained: a gap in the tests**"
		case strings.HasPrefix(reason, killedSince):
			reason = "**killed after the run** by" + strings.TrimPrefix(reason, killedSince)
		case strings.HasPrefix(reason, knownGap):
			reason = "**not equivalent, not killed by a unit test**:" + strings.TrimPrefix(reason, knownGap)
		default:
			reason = "equivalent: " + reason
		}
		fmt.Fprintf(&b, "- `%s:%d:%d` %s in `%s`: %s\n", m.file, m.line, m.column, m.typ, m.source, reason)
	}
	if !any {
		fmt.Fprintf(&b, "None.\n")
	}
	return b.String()
}
