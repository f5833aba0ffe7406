#include "results.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <sys/stat.h>

#include "expr.h"
#include "sim.h"

static const int FILE_VERSION = 3;
static const size_t BYTES_PER_SAMPLE = 32;  // OMNeT++'s in-memory sample size, for vector-buffer

RunHeader RunHeader::of(const RunConfig& cfg)
{
    RunHeader h;
    for (const auto& [name, value] : cfg.vars) {
        if (name == "runid")
            h.runId = value;
        else if (!cfg.itervars.count(name))  // $repetition is recorded as an attribute
            h.attributes[name] = value;
    }
    h.itervars = cfg.itervars;
    h.config = cfg.recordedEntries();
    return h;
}

static std::string attributesText(const StringMap& attrs)
{
    std::string s;
    for (const auto& [k, v] : attrs)
        s += "attr " + quoteIfNeeded(k) + " " + quoteIfNeeded(v) + "\n";
    return s;
}

static std::string headerText(const RunHeader& h)
{
    std::string s = "run " + quoteIfNeeded(h.runId) + "\n" + attributesText(h.attributes);
    for (const auto& [k, v] : h.itervars)
        s += "itervar " + quoteIfNeeded(k) + " " + quoteIfNeeded(v) + "\n";
    for (const auto& [k, v] : h.config)
        s += "config " + quoteIfNeeded(k) + " " + quoteIfNeeded(v) + "\n";
    return s + "\n";
}

static FILE *openForWriting(const std::string& path, const char *what)
{
    mkPath(directoryOf(path));
    FILE *f = fopen(path.c_str(), "w");
    if (!f)
        throw Error(strprintf("Cannot open %s '%s': %s", what, path.c_str(), strerror(errno)));
    return f;
}

//---- .sca

ScalarFileWriter::ScalarFileWriter(std::string path, RunHeader header, int precision)
    : path(std::move(path)), header(std::move(header)), prec(precision)
{
    remove(this->path.c_str());  // results of an earlier execution of this run must not survive
}

ScalarFileWriter::~ScalarFileWriter()
{
    if (f)
        fclose(f);
}

void ScalarFileWriter::open()
{
    f = openForWriting(path, "output scalar file");
    write(strprintf("version %d\n", FILE_VERSION) + headerText(header));
}

void ScalarFileWriter::write(const std::string& text)
{
    if (!f)
        open();
    if (fputs(text.c_str(), f) < 0)
        throw Error("Cannot write output scalar file '" + path + "'");
}

void ScalarFileWriter::writeAttributes(const StringMap& attrs)
{
    write(attributesText(attrs));
}

void ScalarFileWriter::writeFields(const Stats& s)
{
    write(strprintf("field count %ld\n", s.count()));
    write(strprintf("field mean %.*g\n", prec, s.mean()));
    write(strprintf("field stddev %.*g\n", prec, s.stddev()));
    write(strprintf("field min %.*g\n", prec, s.min()));
    write(strprintf("field max %.*g\n", prec, s.max()));
    write(strprintf("field sum %.*g\n", prec, s.sum()));
    write(strprintf("field sqrsum %.*g\n", prec, s.sqrsum()));
}

void ScalarFileWriter::recordParameter(const std::string& module, const std::string& name, const std::string& value, const StringMap& attrs)
{
    write("par " + quoteIfNeeded(module) + " " + quoteIfNeeded(name) + " " + quoteIfNeeded(value) + "\n");
    writeAttributes(attrs);
}

void ScalarFileWriter::recordScalar(const std::string& module, const std::string& name, double value, const StringMap& attrs)
{
    write("scalar " + quoteIfNeeded(module) + " " + quoteIfNeeded(name) + " " + fmtg(value, prec) + "\n");
    writeAttributes(attrs);
}

void ScalarFileWriter::recordStatistic(const std::string& module, const std::string& name, const Stats& stats, const StringMap& attrs)
{
    write("statistic " + quoteIfNeeded(module) + " " + quoteIfNeeded(name) + "\n");
    writeFields(stats);
    writeAttributes(attrs);
}

void ScalarFileWriter::recordHistogram(const std::string& module, const std::string& name, Histogram& h, const StringMap& attrs)
{
    h.setUpBins();
    recordStatistic(module, name, h.stats(), attrs);
    if (h.numBins() == 0)
        return;
    write(strprintf("bin\t%.*g\t%.*g\n", prec, -INFINITY, prec, h.underflows()));
    for (int i = 0; i < h.numBins(); i++)
        write(strprintf("bin\t%.*g\t%.*g\n", prec, h.binEdge(i), prec, h.binCount(i)));
    write(strprintf("bin\t%.*g\t%.*g\n", prec, h.binEdge(h.numBins()), prec, 0.0));  // overflows: the range always grows
}

void ScalarFileWriter::close()
{
    if (!f)
        return;
    write("\n");
    int rc = fclose(f);
    f = nullptr;
    if (rc != 0)
        throw Error("Cannot write output scalar file '" + path + "'");
}

//---- .vec and .vci

VectorFileWriter::VectorFileWriter(std::string path, RunHeader header, int precision)
    : vecPath(std::move(path)), header(std::move(header)), prec(precision)
{
    vciPath = vecPath.substr(0, vecPath.rfind('.')) + ".vci";
    remove(vecPath.c_str());
    remove(vciPath.c_str());
}

VectorFileWriter::~VectorFileWriter()
{
    if (vec)
        fclose(vec);
    if (vci)
        fclose(vci);
}

void VectorFileWriter::write(FILE *file, const std::string& text)
{
    if (fputs(text.c_str(), file) < 0)
        throw Error("Cannot write output vector file '" + (file == vec ? vecPath : vciPath) + "'");
}

void VectorFileWriter::open()
{
    vec = openForWriting(vecPath, "output vector file");
    vci = openForWriting(vciPath, "index file");
    std::string head = strprintf("version %d\n", FILE_VERSION) + headerText(header);
    write(vec, head);
    // room for the "file <size> <mtime>" fingerprint of the .vec, filled in by close()
    write(vci, strprintf("%64s\n", "") + head);
}

int VectorFileWriter::registerVector(const std::string& module, const std::string& name, const StringMap& attrs, size_t bufferSamples)
{
    if (!vec)
        open();
    int id = (int)vectors.size();
    vectors.push_back({std::max<size_t>(bufferSamples, 1), {}, {}});
    std::string decl = strprintf("vector %d ", id) + quoteIfNeeded(module) + " " + quoteIfNeeded(name) + " ETV\n" + attributesText(attrs);
    write(vec, decl);
    write(vci, decl);
    return id;
}

void VectorFileWriter::record(int id, int64_t eventNumber, simtime_t t, double value)
{
    Vector& v = vectors[id];
    v.buffer.push_back({eventNumber, t, value});
    v.blockStats.collect(value);
    if (v.buffer.size() >= v.bufferLimit)
        writeBlock(id);
}

void VectorFileWriter::writeBlock(int id)
{
    Vector& v = vectors[id];
    long offset = ftell(vec);
    for (const Sample& s : v.buffer)
        write(vec, strprintf("%d\t%lld\t%s\t%.*g\n", id, (long long)s.eventNumber, simtimeToString(s.time).c_str(), prec, s.value));
    long size = ftell(vec) - offset;
    fflush(vec);  // the index must never point beyond what is in the .vec file
    const Stats& st = v.blockStats;
    write(vci, strprintf("%d\t%ld %ld %lld %lld %s %s %ld %.*g %.*g %.*g %.*g\n", id, offset, size,
                         (long long)v.buffer.front().eventNumber, (long long)v.buffer.back().eventNumber,
                         simtimeToString(v.buffer.front().time).c_str(), simtimeToString(v.buffer.back().time).c_str(),
                         st.count(), prec, st.min(), prec, st.max(), prec, st.sum(), prec, st.sqrsum()));
    fflush(vci);
    v.buffer.clear();
    v.blockStats = Stats();
}

void VectorFileWriter::close()
{
    if (!vec)
        return;
    for (size_t id = 0; id < vectors.size(); id++)
        if (!vectors[id].buffer.empty())
            writeBlock((int)id);
    write(vec, "\n");
    write(vci, "\n");
    int rc = fclose(vec);
    vec = nullptr;
    struct stat st;
    if (rc == 0 && stat(vecPath.c_str(), &st) == 0) {
        fseek(vci, 0, SEEK_SET);
        fprintf(vci, "file %lld %lld", (long long)st.st_size, (long long)st.st_mtime);
    }
    rc |= fclose(vci);
    vci = nullptr;
    if (rc != 0)
        throw Error("Cannot write output vector file '" + vecPath + "'");
}

//---- ResultRecorder

ResultRecorder::ResultRecorder(const RunConfig& cfg, ScalarFileWriter& scalars, VectorFileWriter& vectors)
    : cfg(cfg), scalars(scalars), vectors(vectors)
{
}

bool ResultRecorder::enabled(const std::string& objectPath, const std::string& option) const
{
    std::string value = cfg.getPerObject(objectPath, option);
    if (value != "true" && value != "false")
        throw Error("Cannot parse '" + value + "' as bool, for option '" + objectPath + "." + option + "'");
    return value == "true";
}

int ResultRecorder::registerVector(const Module& m, const std::string& name, const StringMap& attrs)
{
    std::string path = m.fullPath() + "." + name;
    vectorEnabled.push_back(enabled(path, "vector-recording"));
    Value buffer = parseLiteralValue(cfg.getPerObject(path, "vector-buffer"));
    if (buffer.kind != Value::NUMBER || (buffer.unit != "B" && !buffer.unit.empty()) || buffer.num <= 0)
        throw Error("Invalid value for option '" + path + ".vector-buffer'");
    return vectors.registerVector(m.fullPath(), name, attrs, (size_t)(buffer.num / BYTES_PER_SAMPLE));
}

void ResultRecorder::recordInVector(int handle, int64_t eventNumber, simtime_t t, double value)
{
    if (vectorEnabled[handle])
        vectors.record(handle, eventNumber, t, value);
}

void ResultRecorder::recordParameter(const Module& m, const std::string& name, const std::string& value, const StringMap& attrs)
{
    if (enabled(m.fullPath() + "." + name, "param-recording"))
        scalars.recordParameter(m.fullPath(), name, value, attrs);
}

void ResultRecorder::recordScalar(const Module& m, const std::string& name, double value, const StringMap& attrs)
{
    if (enabled(m.fullPath() + "." + name, "scalar-recording"))
        scalars.recordScalar(m.fullPath(), name, value, attrs);
}

void ResultRecorder::recordStatistic(const Module& m, const std::string& name, const Stats& stats, const StringMap& attrs)
{
    if (enabled(m.fullPath() + "." + name, "scalar-recording"))
        scalars.recordStatistic(m.fullPath(), name, stats, attrs);
}

void ResultRecorder::recordHistogram(const Module& m, const std::string& name, Histogram& histogram, const StringMap& attrs)
{
    if (enabled(m.fullPath() + "." + name, "scalar-recording"))
        scalars.recordHistogram(m.fullPath(), name, histogram, attrs);
}
