// The configuration options the demo knows: the ones it implements, plus a few common
// OMNeT++ options that it accepts and ignores so that campaign scripts written for a
// real model run unchanged. Anything else is rejected, as OMNeT++ does.
#pragma once

#include <string>

enum class OptionType { STRING, FILENAME, BOOL, INT, TIME, BYTES };

struct OptionInfo {
    const char *name;
    OptionType type;
    bool perObject;            // used as <object-path-pattern>.<name> = value
    const char *defaultValue;  // may contain ${...} references
};

const OptionInfo *findOption(const std::string& name);

// Checks an ini key; throws Error for an unknown option. Parameter assignments
// (a dotted key whose last segment has no hyphen) are always accepted.
void checkIniKey(const std::string& key);

// Checks the key of a --key=value command-line option and returns it normalized:
// a per-object option given without object path (--vector-recording=false) becomes
// **.vector-recording, as in OMNeT++.
std::string normalizeCommandLineKey(const std::string& key);

// True for options whose value may be written as a quoted string (quotes are removed
// before use and before recording the value into result files).
bool isStringOption(const std::string& key);
