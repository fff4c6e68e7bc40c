package mtoken

import (
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// maxLanguageTags bounds the Accept-Language entries looked at.
const maxLanguageTags = 16

// ParseAcceptLanguage returns the primary language subtags of an
// Accept-Language header, lower case, by descending quality (stable for
// ties); entries with q=0 and "*" are left out.
func ParseAcceptLanguage(h string) []string {
	type tag struct {
		lang string
		q    float64
		pos  int
	}
	var tags []tag
	for i, part := range strings.Split(h, ",") {
		if i >= maxLanguageTags {
			break
		}
		fields := strings.Split(part, ";")
		lang := strings.ToLower(strings.TrimSpace(fields[0]))
		if j := strings.IndexAny(lang, "-_"); j >= 0 {
			lang = lang[:j]
		}
		if lang == "" || lang == "*" || len(lang) > 8 {
			continue
		}
		q := 1.0
		for _, p := range fields[1:] {
			p = strings.TrimSpace(p)
			if v, ok := strings.CutPrefix(p, "q="); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				q = f
			}
		}
		if q > 0 {
			tags = append(tags, tag{lang, q, i})
		}
	}
	sort.SliceStable(tags, func(a, b int) bool { return tags[a].q > tags[b].q })
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for _, t := range tags {
		if !seen[t.lang] {
			seen[t.lang] = true
			out = append(out, t.lang)
		}
	}
	return out
}

// currencySymbols are the symbols of common currencies; others keep the code.
var currencySymbols = map[string]string{
	"CZK": "Kč", "EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "PLN": "zł", "JPY": "¥",
}

// symbolFirst lists currencies whose symbol precedes the amount in English.
var symbolFirst = map[string]bool{"EUR": true, "USD": true, "GBP": true, "JPY": true}

// parseAmount reads a decimal amount ("1234.5", "-10", "1e3" is refused).
func parseAmount(s string) (*big.Rat, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 || strings.ContainsAny(s, "eE/") {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// formatAmount renders an amount with 2 decimals (0 for JPY) using the
// language's separators: en "1,234.50", cs/de "1 234,50" / "1.234,50".
func formatAmount(r *big.Rat, currency, lang string) string {
	decimals := 2
	if currency == "JPY" {
		decimals = 0
	}
	s := r.FloatString(decimals)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	group, point := ",", "."
	switch lang {
	case "cs":
		group, point = "\u00a0", ","
	case "de":
		group, point = ".", ","
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString(point)
		b.WriteString(frac)
	}
	return b.String()
}

// formatCurrency returns the currency's symbol (or its code).
func formatCurrency(code string) string {
	if s, ok := currencySymbols[strings.ToUpper(code)]; ok {
		return s
	}
	return code
}

// formatValue joins amount and currency as the language writes them.
func formatValue(amount, currency, lang string) string {
	sym := formatCurrency(currency)
	if lang == "en" && symbolFirst[strings.ToUpper(currency)] {
		return sym + amount
	}
	return amount + "\u00a0" + sym
}
