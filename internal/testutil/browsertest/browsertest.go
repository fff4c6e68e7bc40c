// Package browsertest gives tests a headless Chromium driven through the
// DevTools protocol (github.com/chromedp/chromedp).
//
// scripts/test.sh installs Debian's chromium when it is missing and exports
// MAUTH_TEST_REQUIRE_BROWSER=1, so in .ci/run a missing browser fails the
// test instead of skipping it. Outside the script a missing browser skips.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	// EnvExec names the environment variable that overrides the browser
	// executable (default: chromium, then chromium-browser, then
	// google-chrome on PATH).
	EnvExec = "MAUTH_TEST_CHROMIUM"
	// EnvRequire names the environment variable that, when "1", turns a
	// missing browser into a test failure instead of a skip.
	EnvRequire = "MAUTH_TEST_REQUIRE_BROWSER"

	// runDeadline bounds a whole browser session: a safety net against a
	// hung browser, far above what a busy machine needs. Tests never
	// assert on durations.
	runDeadline = 10 * time.Minute
)

// ExecPath returns the browser executable, skipping or failing the test
// when there is none.
func ExecPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvExec); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(EnvRequire) == "1" || os.Getenv("CI") == "true" {
		t.Fatalf("no chromium found but a browser is required (%s=1 or CI=true); run the tests with scripts/test.sh, which installs it", EnvRequire)
		return ""
	}
	t.Skipf("no chromium on PATH; run scripts/test.sh, which installs Debian's chromium")
	return ""
}

// New starts a headless browser for the test and returns a chromedp
// context of its first tab. The browser is closed when the test ends.
func New(t testing.TB) context.Context {
	t.Helper()
	path := ExecPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	base, cancelBase := context.WithTimeout(context.Background(), runDeadline)
	alloc, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelBase()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: start %s: %v", path, err)
	}
	return ctx
}
