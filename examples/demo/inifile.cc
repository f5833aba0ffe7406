#include "inifile.h"

#include <algorithm>
#include <fstream>

#include "util.h"

// Removes a trailing `# comment`, ignoring # characters inside quoted strings.
static std::string stripComment(const std::string& line)
{
    bool inQuotes = false;
    for (size_t i = 0; i < line.size(); i++) {
        if (line[i] == '\\' && inQuotes)
            i++;
        else if (line[i] == '"')
            inQuotes = !inQuotes;
        else if (line[i] == '#' && !inQuotes)
            return line.substr(0, i);
    }
    return line;
}

void IniFile::read(const std::string& fileName)
{
    if (firstFile.empty())
        firstFile = fileName;
    std::vector<std::string> includeStack;
    int current = -1;
    readFile(fileName, current, includeStack);
}

// `current` is the index of the section being read: an included file continues it.
void IniFile::readFile(const std::string& fileName, int& current, std::vector<std::string>& includeStack)
{
    // the depth limit also catches cycles written with different spellings of a path
    if (std::find(includeStack.begin(), includeStack.end(), fileName) != includeStack.end() || includeStack.size() > 32)
        throw Error("Include cycle at ini file '" + fileName + "'");
    std::ifstream in(fileName);
    if (!in)
        throw Error("Cannot open ini file '" + fileName + "'");
    includeStack.push_back(fileName);
    std::string baseDir = directoryOf(fileName);

    std::string line;
    int lineNumber = 0;
    while (std::getline(in, line)) {
        int startLine = ++lineNumber;
        // a backslash at the end of a line continues the entry on the next line
        while (!line.empty() && line.back() == '\\') {
            line.pop_back();
            std::string next;
            if (!std::getline(in, next))
                break;
            lineNumber++;
            line += next;
        }
        std::string text = trim(stripComment(line));
        if (text.empty() || text[0] == ';')
            continue;
        auto fail = [&](const std::string& msg) {
            throw Error(strprintf("%s -- at %s:%d", msg.c_str(), fileName.c_str(), startLine));
        };
        if (text[0] == '[') {
            if (text.back() != ']')
                fail("Syntax error in section heading");
            std::string heading = trim(text.substr(1, text.size() - 2));
            std::string name;
            if (heading == "General")
                name = heading;
            else if (startsWith(heading, "Config ") && heading.size() > 7)
                name = trim(heading.substr(7));
            if (name.empty() || name.find_first_of(" \t") != std::string::npos || (name == "General" && heading != "General"))
                fail("Invalid section name [" + heading + "], must be [General] or [Config <name>]");
            current = sectionIndex(name);
            continue;
        }
        if (startsWith(text, "include ")) {
            readFile(concatPath(baseDir, trim(text.substr(8))), current, includeStack);
            continue;
        }
        size_t eq = text.find('=');
        std::string key = trim(text.substr(0, eq));
        if (eq == std::string::npos || key.empty() || key.find_first_of(" \t") != std::string::npos)
            fail("Line must be in the form key=value");
        if (current < 0)
            current = sectionIndex("General");  // entries before the first heading
        sections[current].entries.push_back({key, trim(text.substr(eq + 1)), baseDir});
    }
    includeStack.pop_back();
}

int IniFile::sectionIndex(const std::string& name)
{
    int i = indexOf(name);
    if (i >= 0)
        return i;
    sections.push_back({name, {}});
    return (int)sections.size() - 1;
}

int IniFile::indexOf(const std::string& name) const
{
    for (size_t i = 0; i < sections.size(); i++)
        if (sections[i].name == name)
            return (int)i;
    return -1;
}

std::vector<std::string> IniFile::configNames() const
{
    std::vector<std::string> names;
    if (indexOf("General") >= 0)
        names.push_back("General");
    for (const IniSection& s : sections)
        if (s.name != "General")
            names.push_back(s.name);
    return names;
}

std::vector<const IniSection *> IniFile::chain(const std::string& configName) const
{
    std::vector<const IniSection *> result;
    int id = indexOf(configName);
    if (id < 0) {
        if (configName == "General")
            return result;  // an ini without [General] still has an (empty) General config
        throw Error("No such config: " + configName);
    }
    std::vector<int> visiting;
    for (int i : linearize(id, visiting))
        result.push_back(&sections[i]);
    return result;
}

std::vector<int> IniFile::linearize(int section, std::vector<int>& visiting) const
{
    const IniSection& s = sections[section];
    if (std::find(visiting.begin(), visiting.end(), section) != visiting.end())
        throw Error("Cycle in the 'extends' chain at [Config " + s.name + "]");
    visiting.push_back(section);

    std::vector<int> bases;
    for (const IniEntry& e : s.entries) {
        if (e.key != "extends")
            continue;
        for (std::string name : splitTopLevel(unquoteIfQuoted(e.value), ',')) {
            name = trim(name);
            int b = indexOf(name);
            if (name.empty() || b < 0)
                throw Error("No such config: " + name + " (in 'extends' of [Config " + s.name + "])");
            bases.push_back(b);
        }
    }
    int general = indexOf("General");
    if (bases.empty() && section != general && general >= 0)
        bases.push_back(general);

    // C3 merge of the bases' linearizations and the list of bases itself
    std::vector<std::vector<int>> lists;
    for (int b : bases)
        lists.push_back(linearize(b, visiting));
    lists.push_back(bases);
    std::vector<int> result{section};
    for (;;) {
        lists.erase(std::remove_if(lists.begin(), lists.end(), [](const std::vector<int>& l) { return l.empty(); }), lists.end());
        if (lists.empty())
            break;
        int next = -1;
        for (const auto& l : lists) {
            int candidate = l.front();
            bool inTail = std::any_of(lists.begin(), lists.end(), [&](const std::vector<int>& o) {
                return std::find(o.begin() + 1, o.end(), candidate) != o.end();
            });
            if (!inTail) {
                next = candidate;
                break;
            }
        }
        if (next < 0)
            throw Error("Inconsistent section inheritance ('extends') at [Config " + s.name + "]");
        result.push_back(next);
        for (auto& l : lists)
            if (l.front() == next)
                l.erase(l.begin());
    }
    visiting.pop_back();
    return result;
}
