// String, path and pattern helpers shared by all parts of the demo.
// Where OMNeT++ has an equivalent (opp_quotestr, opp_filenameencode, ...), the
// behaviour is copied, because its output ends up in result files and file names.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using StringMap = std::map<std::string, std::string>;

// Any error that Cmdenv reports as "<!> Error: <message>".
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string strprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string trim(const std::string& s);
bool startsWith(const std::string& s, const std::string& prefix);
bool endsWith(const std::string& s, const std::string& suffix);

// Splits at `sep` characters that are not inside (), [], {} or a "quoted string".
std::vector<std::string> splitTopLevel(const std::string& s, char sep);

// "%.*g" with the given number of significant digits (OMNeT++ result-file precision).
std::string fmtg(double v, int prec);

// Result-file quoting, identical to OMNeT++'s QUOTE() macro: quote (and escape) only if
// the string is empty or contains whitespace, a backslash, a quote or a control character.
bool needsQuotes(const std::string& s);
std::string quote(const std::string& s);
std::string quoteIfNeeded(const std::string& s);

// Parses a "quoted string" starting at s[0]; `end` receives the index after the closing quote.
std::string parseQuoted(const std::string& s, size_t& end);
// Removes the quotes of a value that is exactly one string literal; returns other values unchanged.
std::string unquoteIfQuoted(const std::string& s);

// opp_filenameencode(): makes an iteration variable value safe as part of a file name.
std::string filenameEncode(const std::string& s);

// OMNeT++ ini-key pattern matching: `**` matches anything, `*` and `?` do not cross a dot,
// `{a..b}` and `[a..b]` match a number (resp. an index) in a numeric range.
bool matchPattern(const std::string& pattern, const std::string& text);

std::string directoryOf(const std::string& path);   // "." for a bare file name
std::string concatPath(const std::string& dir, const std::string& path);
bool fileExists(const std::string& path);
void mkPath(const std::string& dir);  // mkdir -p; throws Error
