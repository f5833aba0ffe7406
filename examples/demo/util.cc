#include "util.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>

std::string strprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(nullptr, 0, fmt, ap);
    va_end(ap);
    std::string s(n > 0 ? n : 0, '\0');
    vsnprintf(&s[0], s.size() + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

std::string trim(const std::string& s)
{
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos)
        return "";
    size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

bool startsWith(const std::string& s, const std::string& prefix)
{
    return s.compare(0, prefix.size(), prefix) == 0;
}

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> splitTopLevel(const std::string& s, char sep)
{
    std::vector<std::string> parts;
    std::string cur;
    int depth = 0;
    for (size_t i = 0; i < s.size(); i++) {
        char c = s[i];
        if (c == '"') {
            size_t end;
            parseQuoted(s.substr(i), end);  // throws on an unterminated string
            cur += s.substr(i, end);
            i += end - 1;
            continue;
        }
        if (c == '(' || c == '[' || c == '{')
            depth++;
        else if (c == ')' || c == ']' || c == '}')
            depth--;
        if (c == sep && depth == 0) {
            parts.push_back(cur);
            cur.clear();
        }
        else
            cur += c;
    }
    parts.push_back(cur);
    return parts;
}

std::string fmtg(double v, int prec)
{
    return strprintf("%.*g", prec, v);
}

bool needsQuotes(const std::string& s)
{
    if (s.empty())
        return true;
    for (unsigned char c : s)
        if (isspace(c) || c == '\\' || c == '"' || iscntrl(c))
            return true;
    return false;
}

std::string quote(const std::string& s)
{
    std::string r = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '\b': r += "\\b"; break;
            case '\f': r += "\\f"; break;
            case '\n': r += "\\n"; break;
            case '\r': r += "\\r"; break;
            case '\t': r += "\\t"; break;
            case '"': r += "\\\""; break;
            case '\\': r += "\\\\"; break;
            default:
                if (iscntrl(c))
                    r += strprintf("\\x%2.2X", c);
                else
                    r += (char)c;
        }
    }
    return r + "\"";
}

std::string quoteIfNeeded(const std::string& s)
{
    return needsQuotes(s) ? quote(s) : s;
}

std::string parseQuoted(const std::string& s, size_t& end)
{
    if (s.empty() || s[0] != '"')
        throw Error("Missing opening quote in: " + s);
    std::string r;
    size_t i = 1;
    for (; i < s.size() && s[i] != '"'; i++) {
        if (s[i] != '\\') {
            r += s[i];
            continue;
        }
        if (++i == s.size())
            break;
        switch (s[i]) {
            case 'b': r += '\b'; break;
            case 'f': r += '\f'; break;
            case 'n': r += '\n'; break;
            case 'r': r += '\r'; break;
            case 't': r += '\t'; break;
            case 'x': r += (char)strtol(s.substr(i + 1, 2).c_str(), nullptr, 16); i += 2; break;
            default: r += s[i];  // \" \\ and anything else: the character itself
        }
    }
    if (i >= s.size())
        throw Error("Unterminated string literal: " + s);
    end = i + 1;
    return r;
}

std::string unquoteIfQuoted(const std::string& s)
{
    if (s.empty() || s[0] != '"')
        return s;
    try {
        size_t end;
        std::string r = parseQuoted(s, end);
        return end == s.size() ? r : s;
    }
    catch (const Error&) {
        return s;
    }
}

std::string filenameEncode(const std::string& s)
{
    std::string r;
    for (char c : s) {
        if (c == ' ')
            r += "_";
        else if (c == '_')
            r += "#_";
        else if (c == '#')
            r += "##";
        else if (c < ' ' || c >= 127 || strchr("/\\:?*<>|'`\"$%{}^&", c))
            r += strprintf("#%2x", (unsigned)(int)c);  // like std::hex << setw(2): space-padded
        else
            r += c;
    }
    return r;
}

// Parses "a..b" (either bound optional) between `open` and `close` at p; returns the
// position after `close`, or nullptr if p does not start such a range.
static const char *parseRange(const char *p, char open, char close, long& lo, long& hi)
{
    if (*p != open)
        return nullptr;
    const char *s = p + 1;
    char *e;
    lo = strtol(s, &e, 10);
    if (e == s)
        lo = 0;
    if (e[0] != '.' || e[1] != '.')
        return nullptr;
    s = e + 2;
    hi = strtol(s, &e, 10);
    if (e == s)
        hi = -1;  // open-ended
    return *e == close ? e + 1 : nullptr;
}

static bool matchFrom(const char *p, const char *t)
{
    while (*p) {
        if (p[0] == '*' && p[1] == '*') {
            for (const char *s = t;; s++) {
                if (matchFrom(p + 2, s))
                    return true;
                if (!*s)
                    return false;
            }
        }
        if (*p == '*') {
            for (const char *s = t;; s++) {
                if (matchFrom(p + 1, s))
                    return true;
                if (!*s || *s == '.')
                    return false;
            }
        }
        if (*p == '?') {
            if (!*t || *t == '.')
                return false;
            p++, t++;
            continue;
        }
        long lo, hi;
        const char *after = nullptr;
        if ((after = parseRange(p, '{', '}', lo, hi)) || (after = parseRange(p, '[', ']', lo, hi))) {
            bool bracketed = *p == '[';
            if (bracketed && *t++ != '[')
                return false;
            char *e;
            long v = strtol(t, &e, 10);
            if (e == t || !isdigit((unsigned char)*t) || v < lo || (hi >= 0 && v > hi))
                return false;
            t = e;
            if (bracketed && *t++ != ']')
                return false;
            p = after;
            continue;
        }
        if (*p != *t)
            return false;
        p++, t++;
    }
    return *t == 0;
}

bool matchPattern(const std::string& pattern, const std::string& text)
{
    return matchFrom(pattern.c_str(), text.c_str());
}

std::string directoryOf(const std::string& path)
{
    size_t slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string concatPath(const std::string& dir, const std::string& path)
{
    if (dir.empty() || dir == "." || path.empty() || path[0] == '/')
        return path;
    return endsWith(dir, "/") ? dir + path : dir + "/" + path;
}

bool fileExists(const std::string& path)
{
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

void mkPath(const std::string& dir)
{
    if (dir.empty() || dir == "." || dir == "/" || fileExists(dir))
        return;
    mkPath(directoryOf(dir));
    if (mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
        throw Error(strprintf("Cannot create directory '%s': %s", dir.c_str(), strerror(errno)));
}
