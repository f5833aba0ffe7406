// Statistics as OMNeT++ records them: count, mean, stddev, min, max, sum, sqrsum,
// and a histogram whose bins are chosen automatically.
#pragma once

#include <vector>

class Stats {
  public:
    void collect(double x);
    long count() const { return n; }
    double sum() const { return total; }
    double sqrsum() const { return squares; }
    double min() const;  // NaN when empty, as in OMNeT++
    double max() const;
    double mean() const;
    double stddev() const;  // NaN for fewer than two values

  private:
    long n = 0;
    double total = 0, squares = 0, lo = 0, hi = 0;
};

// Like OMNeT++'s default histogram strategy: the first values decide a "nice" bin width
// (1, 2 or 5 times a power of ten) and the range, which starts at 0 for non-negative data;
// later values extend the range, and the bin width doubles when there would be too many bins.
class Histogram {
  public:
    void collect(double x);
    void setUpBins();  // called before reading the bins; safe to call repeatedly
    const Stats& stats() const { return all; }
    int numBins() const { return (int)counts.size(); }
    double binEdge(int i) const { return lo + i * width; }
    double binCount(int i) const { return counts[i]; }
    double underflows() const { return under; }

  private:
    static const int PRECOLLECT = 100;
    static const int MAX_BINS = 200;
    Stats all;
    std::vector<double> precollected;
    std::vector<double> counts;
    double lo = 0, width = 0, under = 0;
    bool binsReady = false;
    void insert(double x);
};
