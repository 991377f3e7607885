#include "04-rnn/weather.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <numbers>
#include <stdexcept>

#include "01-perceptron/csv.hpp"
#include "02-mlp/dense.hpp"
#include "04-rnn/gru.hpp"
#include "04-rnn/last_step.hpp"
#include "04-rnn/lstm.hpp"
#include "04-rnn/rnn.hpp"

namespace dlfs {

namespace {

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

// Leap years among 1 .. year-1 (year >= 1).
long leap_years_before(int year) {
  const long y = year - 1;
  return y / 4 - y / 100 + y / 400;
}

// The number in text[begin, begin + digits), all digits; false otherwise.
bool parse_digits(std::string_view text, std::size_t begin, std::size_t digits, int& value) {
  if (begin + digits > text.size()) return false;
  for (std::size_t i = begin; i < begin + digits; ++i)
    if (text[i] < '0' || text[i] > '9') return false;
  std::from_chars(text.data() + begin, text.data() + begin + digits, value);
  return true;
}

}  // namespace

bool parse_date(std::string_view text, Date& date) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  // YYYY/MM/DD or YYYY-MM-DD: ten characters, the same separator twice.
  if (text.size() != 10 || (text[4] != '/' && text[4] != '-') || text[7] != text[4]) return false;
  Date d;
  if (!parse_digits(text, 0, 4, d.year) || !parse_digits(text, 5, 2, d.month) || !parse_digits(text, 8, 2, d.day))
    return false;
  if (d.year < 1 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > days_in_month(d.year, d.month)) return false;
  date = d;
  return true;
}

std::string format_date(const Date& date) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d/%02d/%02d", date.year, date.month, date.day);
  return text;
}

long days_since_epoch(const Date& date) {
  long days = 365L * (date.year - 1970) + leap_years_before(date.year) - leap_years_before(1970);
  for (int m = 1; m < date.month; ++m) days += days_in_month(date.year, m);
  return days + date.day - 1;
}

std::size_t calendar_day(const Date& date) {
  std::size_t slot = 0;
  for (int m = 1; m < date.month; ++m) slot += std::size_t(days_in_month(2000, m));  // 2000: a leap year
  return slot + std::size_t(date.day - 1);
}

namespace {

WeatherDays weather_from_table(const CsvTable& table) {
  const std::string& source = table.source;
  const std::size_t date_col = table.column_index("date");
  const std::size_t precipitation_col = table.column_index("precipitation");
  const std::size_t temp_max_col = table.column_index("temp_max");
  const std::size_t temp_min_col = table.column_index("temp_min");
  const std::size_t wind_col = table.column_index("wind");

  WeatherDays days;
  days.source = source;
  for (std::size_t r = 0; r < table.num_rows(); ++r) {
    const CsvField& field = table.rows[r].fields[date_col];
    Date date;
    if (!parse_date(field.text, date))
      throw CsvError(source, field.line, field.column,
                     "expected a date YYYY/MM/DD in column 'date', found '" + field.text + "'");
    if (!days.dates.empty() && days_since_epoch(date) != days_since_epoch(days.dates.back()) + 1)
      throw CsvError(source, field.line, field.column,
                     "the days must be consecutive, one row per day: " + field.text + " follows " +
                         format_date(days.dates.back()));
    days.dates.push_back(date);
    days.precipitation.push_back(table.number(r, precipitation_col));
    days.temp_max.push_back(table.number(r, temp_max_col));
    days.temp_min.push_back(table.number(r, temp_min_col));
    days.wind.push_back(table.number(r, wind_col));
  }
  if (days.size() < 2)
    throw CsvError(source, table.num_rows() ? table.rows.back().line : 1, 1,
                   "found " + std::to_string(days.size()) + " day(s) of data; a forecast needs at least two");
  return days;
}

}  // namespace

WeatherDays parse_weather(std::string_view text, const std::string& source) {
  return weather_from_table(parse_csv(text, source));
}

WeatherDays read_weather(const std::string& path) {
  // A missing file says where the data set comes from; any other failure (a directory it may not
  // search) is read_csv's to report.
  std::error_code error;
  if (!std::filesystem::exists(path, error) && !error)
    throw std::runtime_error(path + ": cannot open: no such file (seattle-weather.csv comes with Debian's "
                             "python3-vega-datasets: ./dlfs setup installs it; --data reads another copy)");
  return weather_from_table(read_csv(path));
}

const std::vector<std::string> kWeatherFeatureNames = {"precipitation", "temp_max", "temp_min",
                                                       "wind",          "season_sin", "season_cos"};

Tensor weather_features(const WeatherDays& days) {
  Tensor features({days.size(), kWeatherFeatures});  // (days, F)
  for (std::size_t d = 0; d < days.size(); ++d) {
    const double angle = 2.0 * std::numbers::pi * double(calendar_day(days.dates[d])) / double(kCalendarDays);
    features(d, 0) = days.precipitation[d];
    features(d, 1) = days.temp_max[d];
    features(d, 2) = days.temp_min[d];
    features(d, 3) = days.wind[d];
    features(d, 4) = float(std::sin(angle));
    features(d, 5) = float(std::cos(angle));
  }
  return features;
}

ForecastSplit chronological_split(const WeatherDays& days, std::size_t window, const Date& validation_start,
                                  const Date& test_start) {
  const long validation_day = days_since_epoch(validation_start), test_day = days_since_epoch(test_start);
  if (window == 0) throw std::invalid_argument(days.source + ": the window must hold at least one day");
  if (validation_day >= test_day)
    throw std::invalid_argument(days.source + ": validation must start (" + format_date(validation_start) +
                                ") before the test does (" + format_date(test_start) + ")");
  ForecastSplit split;
  for (std::size_t d = 0; d < days.size(); ++d) {
    const long day = days_since_epoch(days.dates[d]);
    if (day < validation_day) split.fit_days.push_back(d);
    if (d < window) continue;  // not enough days before it for a window
    if (day < validation_day) split.train.push_back(d);
    else if (day < test_day) split.validation.push_back(d);
    else split.test.push_back(d);
  }
  const std::string span = " (the data runs from " + format_date(days.dates.front()) + " to " +
                           format_date(days.dates.back()) + ", and a window needs " + std::to_string(window) +
                           " days before its target)";
  if (split.train.empty())
    throw std::invalid_argument(days.source + ": no day before " + format_date(validation_start) + " to train on" +
                                span);
  if (split.validation.empty())
    throw std::invalid_argument(days.source + ": no day from " + format_date(validation_start) + " to " +
                                format_date(test_start) + " to validate on" + span);
  if (split.test.empty())
    throw std::invalid_argument(days.source + ": no day from " + format_date(test_start) + " on to test on" + span);
  return split;
}

Examples forecast_examples(const Tensor& features, const std::vector<float>& targets,
                           const std::vector<std::size_t>& target_days, std::size_t window) {
  if (features.ndim() != 2 || features.dim(0) != targets.size())
    throw std::invalid_argument("forecast_examples: features " + shape_to_string(features.shape()) + " for " +
                                std::to_string(targets.size()) + " days of targets");
  Tensor values({target_days.size(), 1});  // (N, 1)
  for (std::size_t i = 0; i < target_days.size(); ++i) {
    if (target_days[i] < window || target_days[i] >= targets.size())
      throw std::invalid_argument("forecast_examples: target day " + std::to_string(target_days[i]) +
                                  " has no full window of " + std::to_string(window) + " days before it");
    values(i, 0) = targets[target_days[i]];
  }
  auto shared = std::make_shared<const Tensor>(features);
  auto days = std::make_shared<const std::vector<std::size_t>>(target_days);
  auto inputs = [shared, days, window](const std::vector<std::size_t>& indices) {
    const std::size_t F = shared->dim(1);
    Tensor x({indices.size(), window, F});  // (B, W, F)
    for (std::size_t b = 0; b < indices.size(); ++b) {
      const std::size_t first = days->at(indices[b]) - window;  // days first .. first + W - 1
      const float* from = shared->data() + first * F;
      std::copy(from, from + window * F, x.data() + b * window * F);
    }
    return x;
  };
  return {inputs, Targets(std::move(values))};
}

ForecastData prepare_forecast(const WeatherDays& days, const ForecastSplit& split, std::size_t window) {
  ForecastData data;
  const Tensor raw = weather_features(days);  // (days, F)
  data.scaler.fit(take_rows(raw, split.fit_days));
  data.features = data.scaler.transform(raw);
  data.target_mean = data.scaler.mean()[1];  // column 1 is temp_max (kWeatherFeatureNames)
  data.target_std = data.scaler.stddev()[1];
  for (std::size_t d = 0; d < days.size(); ++d) data.targets.push_back(data.features(d, 1));
  data.train = forecast_examples(data.features, data.targets, split.train, window);
  data.validation = forecast_examples(data.features, data.targets, split.validation, window);
  data.test = forecast_examples(data.features, data.targets, split.test, window);
  return data;
}

const std::vector<std::string> kForecastCells = {"gru", "lstm", "rnn"};

Sequential make_forecaster(const std::string& cell, std::size_t features, std::size_t hidden, Rng& rng) {
  Sequential model;
  if (cell == "gru") model.emplace<GRU>(features, hidden, rng);
  else if (cell == "lstm") model.emplace<LSTM>(features, hidden, rng);
  else if (cell == "rnn") model.emplace<RNN>(features, hidden, rng);
  else throw std::invalid_argument("unknown cell '" + cell + "': expected gru, lstm or rnn");
  model.emplace<LastStep>();
  model.emplace<Dense>(hidden, 1, rng, Init::Xavier);  // a linear output: no ReLU follows
  return model;
}

std::vector<float> persistence_forecast(const WeatherDays& days, const std::vector<std::size_t>& target_days) {
  std::vector<float> prediction;
  for (std::size_t d : target_days) {
    if (d == 0 || d >= days.size()) throw std::invalid_argument("persistence_forecast: day " + std::to_string(d) +
                                                                " has no day before it");
    prediction.push_back(days.temp_max[d - 1]);
  }
  return prediction;
}

SeasonalMean::SeasonalMean(const WeatherDays& days, const std::vector<std::size_t>& fit_days,
                           std::size_t half_width)
    : source_(days.source), half_width_(std::min<std::size_t>(half_width, kCalendarDays / 2)) {
  // Sums and counts per calendar day first, then each slot's window of 2k + 1 slots.
  std::vector<double> sum(kCalendarDays, 0.0);
  std::vector<std::size_t> count(kCalendarDays, 0);
  for (std::size_t d : fit_days) {
    const std::size_t c = calendar_day(days.dates.at(d));
    sum[c] += days.temp_max[d];
    ++count[c];
  }
  const long k = long(half_width_), n = long(kCalendarDays);
  mean_.resize(kCalendarDays);
  for (long c = 0; c < n; ++c) {
    double s = 0.0;
    std::size_t m = 0;
    for (long offset = -k; offset <= k; ++offset) {
      const std::size_t slot = std::size_t(((c + offset) % n + n) % n);  // circular: slot -1 is 365
      s += sum[slot];
      m += count[slot];
    }
    mean_[std::size_t(c)] = m ? float(s / double(m)) : std::numeric_limits<float>::quiet_NaN();
  }
}

std::vector<float> SeasonalMean::forecast(const WeatherDays& days, const std::vector<std::size_t>& target_days) const {
  std::vector<float> prediction;
  for (std::size_t d : target_days) {
    const float value = at(calendar_day(days.dates.at(d)));
    if (std::isnan(value))
      throw std::invalid_argument(source_ + ": no training day within " + std::to_string(half_width_) +
                                  " days of the calendar day of " + format_date(days.dates[d]) +
                                  " for the seasonal mean");
    prediction.push_back(value);
  }
  return prediction;
}

std::vector<float> actual_temp_max(const WeatherDays& days, const std::vector<std::size_t>& target_days) {
  std::vector<float> actual;
  for (std::size_t d : target_days) actual.push_back(days.temp_max.at(d));
  return actual;
}

Metrics forecast_errors(const std::vector<float>& predicted, const std::vector<float>& actual) {
  if (predicted.size() != actual.size() || predicted.empty())
    throw std::invalid_argument("forecast_errors: " + std::to_string(predicted.size()) + " predictions for " +
                                std::to_string(actual.size()) + " actual values");
  const std::size_t n = predicted.size();
  const Tensor prediction({n, 1}, predicted);  // (N, 1)
  const Targets truth(Tensor({n, 1}, actual));
  MetricSums sums;
  sums.add(prediction, truth, mse(prediction, truth).loss);
  return sums.metrics();
}

}  // namespace dlfs
