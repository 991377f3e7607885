// Forecasting tomorrow's temperature from the weather of the last few days: the data, the task,
// and the two baselines a forecaster has to beat before it is worth anything.
//
// The data: one row per day (Seattle, 2012-2015, from Vega's datasets):
//   date,precipitation,temp_max,temp_min,wind,weather
//   2012/01/01,0.0,12.8,5.0,4.7,drizzle            mm of rain, °C, °C, m/s, a label (not used)
//
// The task: from the W days before day d (their features, (W, F)), predict temp_max of day d.
// Example i of a split is the window of days d-W .. d-1 and the target temp_max[d] for the i-th
// target day d of that split:
//
//   day      d-W  d-W+1  ...  d-1 | d
//   input    [ F features each    ] -> target temp_max[d]          (W, F) -> (1)
//
// The split is chronological, by the year of the target day: train on the years before
// `validation_year`, choose when to stop on `validation_year`, report on `test_year`. A random
// split would put days from the test period into training (yesterday's weather is a near copy of
// today's), and the test error would no longer say how well the model forecasts an unseen
// future. A window may reach back into the previous split's days (the first forecast of 2015
// reads the last days of 2014): that is the past, which a forecaster always knows.
//
// Whatever is learned from data (here the mean and the standard deviation of each feature) is
// learned from the training years only (chapter 01's rule: StandardScaler::fit on the rows of
// `ForecastSplit::fit_days`).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "01-perceptron/preprocessing.hpp"
#include "02-mlp/metrics.hpp"
#include "02-mlp/sequential.hpp"
#include "02-mlp/train.hpp"
#include "common/random.hpp"
#include "common/tensor.hpp"

namespace dlfs {

// Where Debian's python3-vega-datasets puts the file.
inline constexpr const char* kSeattleWeatherCsv =
    "/usr/lib/python3/dist-packages/vega_datasets/_data/seattle-weather.csv";

struct Date {
  int year = 0, month = 0, day = 0;
};

// "2012/01/31" or "2012-01-31" (the file's form and ISO 8601's). False for anything else, also for
// a date that does not exist (2013/02/29, 2014/04/31).
bool parse_date(std::string_view text, Date& date);
std::string format_date(const Date& date);  // "2012/01/31"
// Days since 1970-01-01 in the proleptic Gregorian calendar (negative before it): consecutive
// dates give consecutive numbers, across month and year ends.
long days_since_epoch(const Date& date);
// The date's slot 0..365 in a leap year's calendar: Jan 1 -> 0, Feb 29 -> 59, Mar 1 -> 60,
// Dec 31 -> 365. The same month and day get the same slot every year (in a year of 365 days slot
// 59 is simply unused), which is what a seasonal average needs.
std::size_t calendar_day(const Date& date);
inline constexpr std::size_t kCalendarDays = 366;

// The days of a weather file, in file order, which must be date order without gaps.
struct WeatherDays {
  std::string source;  // the file name, for error messages
  std::vector<Date> dates;
  std::vector<float> precipitation;  // mm
  std::vector<float> temp_max;       // °C
  std::vector<float> temp_min;       // °C
  std::vector<float> wind;           // m/s
  std::size_t size() const { return dates.size(); }
};

// Parses the CSV text with chapter 01's parser (parse_csv). Needs the columns date, precipitation,
// temp_max, temp_min and wind (in any order; others, like weather, are ignored). Every error names
// the file and, where there is one, the line and column:
//   CsvError            malformed CSV (an unterminated quote, a short row: a truncated file), a
//                       field that is not a number or a date, a date that does not follow the
//                       previous row's ("the days must be consecutive"), fewer than two days
//   std::invalid_argument  a missing column ("'wind' is not a column of FILE; columns: ...")
WeatherDays parse_weather(std::string_view text, const std::string& source);
// Reads the file, then parse_weather. A missing or unreadable file: std::runtime_error naming it.
WeatherDays read_weather(const std::string& path);

// Per-day input features, (days, F) with F = 6, in this order:
//   precipitation, temp_max, temp_min, wind, sin(2 pi c / 366), cos(2 pi c / 366)
// with c = calendar_day(date). The sine and cosine place the day on a circle, so Dec 31 and Jan 1
// are neighbours (the day number itself would put them 365 apart).
inline constexpr std::size_t kWeatherFeatures = 6;
extern const std::vector<std::string> kWeatherFeatureNames;
Tensor weather_features(const WeatherDays& days);  // (days, 6)

// Target days of each part (indices into the days, ascending), and the days whose statistics may
// be used for preprocessing. The parts are cut at two dates:
//   train       target days before validation_start (with a full window before them)
//   validation  target days from validation_start to the day before test_start
//   test        target days from test_start to the end of the data
// The book's run: validation_start 2014/01/01, test_start 2015/01/01 (train 2012-2013,
// validate 2014, test 2015).
struct ForecastSplit {
  std::vector<std::size_t> train;
  std::vector<std::size_t> validation;
  std::vector<std::size_t> test;
  std::vector<std::size_t> fit_days;  // every day before validation_start, window or not
};
// Throws std::invalid_argument, naming the file, unless validation_start < test_start, window > 0
// and all three parts have target days.
ForecastSplit chronological_split(const WeatherDays& days, std::size_t window, const Date& validation_start,
                                  const Date& test_start);

// The examples of one part: example i is the window of `features` rows d-W .. d-1, (W, F), with
// target targets[d] (one value), for d = target_days[i]. Batches come out (B, W, F) and (B, 1).
// The features are shared by every batch drawn (not copied per example).
Examples forecast_examples(const Tensor& features, const std::vector<float>& targets,
                           const std::vector<std::size_t>& target_days, std::size_t window);

// Everything the network trains and is judged on, standardized with statistics of the fit days
// only (chapter 01's StandardScaler):
//   features z = (x - mean) / std per feature column, fitted on the rows of split.fit_days
//   target   temp_max standardized the same way (its own column's mean and std), so the network
//            predicts z and a prediction in °C is z * target_std + target_mean
struct ForecastData {
  StandardScaler scaler;        // fitted on split.fit_days, all F columns
  Tensor features;              // (days, F), standardized
  std::vector<float> targets;   // (days), temp_max standardized
  float target_mean = 0.0f, target_std = 1.0f;  // °C, of temp_max over the fit days
  Examples train, validation, test;
  float to_celsius(float z) const { return z * target_std + target_mean; }
};
ForecastData prepare_forecast(const WeatherDays& days, const ForecastSplit& split, std::size_t window);

// The forecaster: a recurrent layer reads the window, its last output h_W goes through a Dense
// layer to one number, the standardized temp_max of the next day:
//   (B, W, F) -> RNN / LSTM / GRU (H units) -> (B, W, H) -> LastStep -> (B, H) -> Dense -> (B, 1)
// cell is "rnn", "lstm" or "gru" (kForecastCells); throws std::invalid_argument for another.
extern const std::vector<std::string> kForecastCells;
Sequential make_forecaster(const std::string& cell, std::size_t features, std::size_t hidden, Rng& rng);

// ---- Baselines ---------------------------------------------------------------------------------

// Persistence: tomorrow's temp_max is today's. prediction[i] = temp_max[target_days[i] - 1].
std::vector<float> persistence_forecast(const WeatherDays& days, const std::vector<std::size_t>& target_days);

// Climatology: the mean temp_max of that time of year in the training years. A single calendar
// day has only one or two training values, so the mean is taken over a window of 2k + 1
// calendar days around it (circular: Jan 1's window reaches back into December):
//   seasonal(c) = mean of temp_max[d] over the fit days d with |calendar_day(d) - c| <= k (mod 366)
class SeasonalMean {
 public:
  SeasonalMean(const WeatherDays& days, const std::vector<std::size_t>& fit_days, std::size_t half_width);
  // NaN for a calendar day with no fit day within k of it.
  float at(std::size_t calendar_day) const { return mean_.at(calendar_day); }
  // prediction[i] = at(calendar_day of target_days[i]). Throws std::invalid_argument, naming the
  // date, for a day whose mean is NaN.
  std::vector<float> forecast(const WeatherDays& days, const std::vector<std::size_t>& target_days) const;

 private:
  std::string source_;
  std::size_t half_width_;
  std::vector<float> mean_;  // (366)
};

// What actually happened: temp_max[target_days[i]].
std::vector<float> actual_temp_max(const WeatherDays& days, const std::vector<std::size_t>& target_days);

// MAE and RMSE of a forecast, in the values' units, computed by chapter 02's MetricSums (the code
// evaluate() uses), so the network and the baselines are scored by the same lines.
Metrics forecast_errors(const std::vector<float>& predicted, const std::vector<float>& actual);

}  // namespace dlfs
