// Reading omnetpp.ini files: [General] and [Config <name>] sections, `key = value`
// entries, # comments, backslash line continuation, `include <file>`, and the section
// inheritance chain built from `extends`.
#pragma once

#include <string>
#include <vector>

struct IniEntry {
    std::string key;
    std::string value;    // as written, comment removed and trimmed (quotes kept)
    std::string baseDir;  // directory of the ini file the entry came from
};

struct IniSection {
    std::string name;  // "General", or <name> of [Config <name>]
    std::vector<IniEntry> entries;
};

class IniFile {
  public:
    void read(const std::string& fileName);  // may be called for several files; throws Error
    const std::string& primaryFile() const { return firstFile; }

    // "General" first (if present), then the other configs in order of appearance.
    std::vector<std::string> configNames() const;

    // The sections a config consists of, most specific first and [General] last. With
    // several bases (extends = A, B) the order is the C3 linearization, as in OMNeT++.
    std::vector<const IniSection *> chain(const std::string& configName) const;

  private:
    std::vector<IniSection> sections;
    std::string firstFile;

    void readFile(const std::string& fileName, int& current, std::vector<std::string>& includeStack);
    int sectionIndex(const std::string& name);  // creates the section if needed
    int indexOf(const std::string& name) const;
    std::vector<int> linearize(int section, std::vector<int>& visiting) const;
};
