// The -r run filter: a list of run numbers and ranges ("0..4,9,12", "5-10"), or an
// expression over the run's variables written with $ ("$numHosts==20 && $repetition<2").
// Error messages are the ones OMNeT++ prints.
#pragma once

#include <string>
#include <vector>

#include "scenario.h"

std::vector<int> resolveRunFilter(const Scenario& scenario, const std::string& filter);
