// The weather forecaster's data: dates, windows and targets, the chronological split, the
// standardization fitted on training days only, the two baselines by hand, and clear errors.
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <string>

#include "04-rnn/weather.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;
using Catch::Matchers::Contains;

namespace {

// Ten days across a year end. Index: date, precipitation, temp_max, temp_min, wind, weather.
const char* const kTiny =
    "date,precipitation,temp_max,temp_min,wind,weather\n"
    "2019/12/28,0.0,3.0,1.0,2.0,sun\n"     // 0
    "2019/12/29,1.5,5.0,2.0,3.5,rain\n"    // 1
    "2019/12/30,0.0,4.0,0.5,1.0,sun\n"     // 2
    "2019/12/31,4.2,8.0,3.0,4.0,rain\n"    // 3
    "2020/01/01,0.3,6.0,2.5,2.5,drizzle\n" // 4
    "2020/01/02,0.0,7.0,1.5,3.0,sun\n"     // 5
    "2020/01/03,2.0,11.0,4.0,5.5,rain\n"   // 6
    "2020/01/04,0.0,9.0,3.5,1.5,fog\n"     // 7
    "2020/01/05,0.8,10.0,2.0,2.0,rain\n"   // 8
    "2020/01/06,0.0,12.0,6.0,3.0,sun\n";   // 9

const Date kValidationStart{2020, 1, 1}, kTestStart{2020, 1, 4};
constexpr std::size_t kWindow = 2;

// The error message parse_weather throws for this text ("" if it parses).
std::string weather_error(const std::string& text) {
  try {
    parse_weather(text, "bad.csv");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("Dates parse in both forms, and impossible dates are refused", "[04-rnn][weather]") {
  Date d;
  REQUIRE(parse_date("2012/02/29", d));
  CHECK((d.year == 2012 && d.month == 2 && d.day == 29));
  REQUIRE(parse_date(" 2015-12-31 ", d));
  CHECK(format_date(d) == "2015/12/31");
  for (const char* bad : {"2013/02/29", "2014/04/31", "2012/1/01", "2012/13/01", "2012/01/00", "2012-01/01", "",
                          "20120101", "2012/01/01x"})
    CHECK_FALSE(parse_date(bad, d));
}

TEST_CASE("Consecutive dates are consecutive day numbers, and calendar days ignore the year", "[04-rnn][weather]") {
  CHECK(days_since_epoch({1970, 1, 1}) == 0);
  CHECK(days_since_epoch({2013, 1, 1}) - days_since_epoch({2012, 12, 31}) == 1);
  CHECK(days_since_epoch({2012, 3, 1}) - days_since_epoch({2012, 2, 28}) == 2);  // 2012 is a leap year
  CHECK(days_since_epoch({2013, 3, 1}) - days_since_epoch({2013, 2, 28}) == 1);
  CHECK(days_since_epoch({2016, 1, 1}) - days_since_epoch({2012, 1, 1}) == 1461);
  CHECK(calendar_day({2013, 1, 1}) == 0);
  CHECK(calendar_day({2012, 2, 29}) == 59);
  CHECK(calendar_day({2012, 3, 1}) == 60);
  CHECK(calendar_day({2013, 3, 1}) == 60);  // the same slot in a year without Feb 29
  CHECK(calendar_day({2013, 12, 31}) == 365);
}

TEST_CASE("The weather file is read column by column, and the season is a sine and a cosine", "[04-rnn][weather]") {
  const WeatherDays days = parse_weather(kTiny, "tiny.csv");
  REQUIRE(days.size() == 10);
  CHECK(days.temp_max[6] == 11.0f);
  CHECK(days.precipitation[3] == 4.2f);
  CHECK(days.temp_min[9] == 6.0f);
  CHECK(days.wind[1] == 3.5f);
  const Tensor f = weather_features(days);  // (days, F)
  REQUIRE(f.shape() == Shape{10, kWeatherFeatures});
  CHECK(f(6, 1) == 11.0f);
  CHECK(f(6, 2) == 4.0f);
  const double angle = 2 * std::numbers::pi * 365 / 366.0;  // 2019/12/31: slot 365
  CHECK(f(3, 4) == Approx(std::sin(angle)).margin(1e-6));
  CHECK(f(3, 5) == Approx(std::cos(angle)).margin(1e-6));
  CHECK(f(4, 4) == Approx(0.0).margin(1e-6));  // Jan 1: slot 0
  CHECK(f(4, 5) == Approx(1.0).margin(1e-6));
}

TEST_CASE("The split is chronological, and a target day needs a full window before it", "[04-rnn][weather][split]") {
  const WeatherDays days = parse_weather(kTiny, "tiny.csv");
  const ForecastSplit split = chronological_split(days, kWindow, kValidationStart, kTestStart);
  CHECK(split.train == std::vector<std::size_t>{2, 3});  // days 0 and 1 have no 2 days before them
  CHECK(split.validation == std::vector<std::size_t>{4, 5, 6});
  CHECK(split.test == std::vector<std::size_t>{7, 8, 9});
  CHECK(split.fit_days == std::vector<std::size_t>{0, 1, 2, 3});
  CHECK_THROWS_WITH(chronological_split(days, 5, kValidationStart, kTestStart), Contains("no day before 2020/01/01"));
  CHECK_THROWS_WITH(chronological_split(days, kWindow, kValidationStart, {2020, 1, 7}),
                    Contains("tiny.csv: no day from 2020/01/07 on to test on"));
  CHECK_THROWS_WITH(chronological_split(days, kWindow, kTestStart, kValidationStart), Contains("before the test"));
}

TEST_CASE("An example is the window of the W days before its target day, and the target is that day's temp_max",
          "[04-rnn][weather][window]") {
  const WeatherDays days = parse_weather(kTiny, "tiny.csv");
  const ForecastSplit split = chronological_split(days, kWindow, kValidationStart, kTestStart);
  const Tensor f = weather_features(days);  // (days, F)
  const Examples test = forecast_examples(f, days.temp_max, split.test, kWindow);
  REQUIRE(test.size() == 3);
  const Tensor x = test.inputs({0, 2});  // (2, W, F): target days 7 and 9
  REQUIRE(x.shape() == Shape{2, kWindow, kWeatherFeatures});
  for (std::size_t j = 0; j < kWeatherFeatures; ++j) {
    CHECK(x(0, 0, j) == f(5, j));  // day 7's window: days 5, 6
    CHECK(x(0, 1, j) == f(6, j));
    CHECK(x(1, 0, j) == f(7, j));  // day 9's window: days 7, 8
    CHECK(x(1, 1, j) == f(8, j));
  }
  REQUIRE(test.targets.values.shape() == Shape{3, 1});
  CHECK(test.targets.values(0, 0) == 9.0f);
  CHECK(test.targets.values(1, 0) == 10.0f);
  CHECK(test.targets.values(2, 0) == 12.0f);
  CHECK_THROWS_WITH(forecast_examples(f, days.temp_max, {1}, kWindow), Contains("no full window"));
}

TEST_CASE("Standardization is fitted on the training days only", "[04-rnn][weather][leak]") {
  const WeatherDays days = parse_weather(kTiny, "tiny.csv");
  const ForecastSplit split = chronological_split(days, kWindow, kValidationStart, kTestStart);
  const ForecastData data = prepare_forecast(days, split, kWindow);
  // temp_max of the fit days 0..3: 3, 5, 4, 8: mean 5, population variance (4 + 0 + 1 + 9) / 4 = 3.5.
  CHECK(data.target_mean == Approx(5.0));
  CHECK(data.target_std == Approx(std::sqrt(3.5)));
  CHECK(data.targets[9] == Approx((12.0 - 5.0) / std::sqrt(3.5)));  // applied unchanged to a test day
  CHECK(data.to_celsius(data.targets[9]) == Approx(12.0));
  CHECK(data.test.targets.values(2, 0) == data.targets[9]);
  for (std::size_t j = 0; j < 4; ++j) {  // every measured feature has mean 0 over the fit days
    double mean = 0;
    for (std::size_t d : split.fit_days) mean += data.features(d, j) / 4.0;
    CHECK(mean == Approx(0.0).margin(1e-6));
  }

  // Make every validation and test day wildly different: nothing the training sees may change.
  WeatherDays changed = days;
  for (std::size_t d = 4; d < changed.size(); ++d) {
    changed.temp_max[d] += 100, changed.temp_min[d] -= 50;
    changed.precipitation[d] *= 10, changed.wind[d] += 7;
  }
  const ForecastData again = prepare_forecast(changed, split, kWindow);
  require_close(again.scaler.mean(), data.scaler.mean(), 0.0, 0.0);
  require_close(again.scaler.stddev(), data.scaler.stddev(), 0.0, 0.0);
  require_close(again.train.inputs({0, 1}), data.train.inputs({0, 1}), 0.0, 0.0);
  require_close(again.train.targets.values, data.train.targets.values, 0.0, 0.0);
  CHECK(again.validation.targets.values(0, 0) != data.validation.targets.values(0, 0));  // the change took effect
}

TEST_CASE("Persistence forecasts today's temp_max for tomorrow, scored by MAE and RMSE by hand",
          "[04-rnn][weather][baseline]") {
  const WeatherDays days = parse_weather(kTiny, "tiny.csv");
  const std::vector<std::size_t> test = {7, 8, 9};
  const std::vector<float> predicted = persistence_forecast(days, test);
  CHECK(predicted == std::vector<float>{11.0f, 9.0f, 10.0f});  // temp_max of days 6, 7, 8
  const std::vector<float> actual = actual_temp_max(days, test);
  CHECK(actual == std::vector<float>{9.0f, 10.0f, 12.0f});
  // Errors 2, -1, -2: MAE 5/3, RMSE sqrt((4 + 1 + 4) / 3) = sqrt(3).
  const Metrics m = forecast_errors(predicted, actual);
  CHECK(m.mae == Approx(5.0 / 3.0));
  CHECK(m.rmse == Approx(std::sqrt(3.0)));
  CHECK_THROWS(persistence_forecast(days, {0}));
}

TEST_CASE("The seasonal mean averages the training days within k calendar days, across the year end",
          "[04-rnn][weather][baseline]") {
  const WeatherDays days = parse_weather(kTiny, "tiny.csv");
  const std::vector<std::size_t> fit = {0, 1, 2, 3};  // Dec 28..31: slots 362..365, temp_max 3, 5, 4, 8
  const SeasonalMean k1(days, fit, 1);
  CHECK(k1.at(363) == Approx((3.0 + 5.0 + 4.0) / 3));  // Dec 29: Dec 28, 29, 30
  CHECK(k1.at(365) == Approx((4.0 + 8.0) / 2));        // Dec 31: Dec 30, 31 (and Jan 1, no data)
  CHECK(k1.at(0) == Approx(8.0));                      // Jan 1: reaches back to Dec 31
  CHECK(std::isnan(k1.at(1)));                         // Jan 2: nothing within one day
  CHECK(k1.forecast(days, {4}) == std::vector<float>{8.0f});
  CHECK_THROWS_WITH(k1.forecast(days, {5}), Contains("2020/01/02"));
  const SeasonalMean k2(days, fit, 2);
  CHECK(k2.forecast(days, {4, 5}) == std::vector<float>{6.0f, 8.0f});  // Jan 1: Dec 30, 31; Jan 2: Dec 31
}

TEST_CASE("A malformed, truncated or incomplete weather file gives one clear error naming it", "[04-rnn][weather][errors]") {
  const std::string header = "date,precipitation,temp_max,temp_min,wind,weather\n";
  const std::string row1 = "2019/12/28,0.0,3.0,1.0,2.0,sun\n";
  CHECK_THAT(weather_error(header + row1 + "2019/12/29,abc,5.0,2.0,3.5,rain\n"),
             Contains("bad.csv:3:12: expected a number in column 'precipitation', found 'abc'"));
  CHECK_THAT(weather_error(header + row1 + "2019/12/29,1.5,5"), Contains("bad.csv:3:") && Contains("fields"));
  CHECK_THAT(weather_error(header + row1 + "2019/12/29,1.5,5.0,2.0,,rain\n"),
             Contains("bad.csv:3:") && Contains("column 'wind'"));
  CHECK_THAT(weather_error(header + row1 + "2019/12/30,1.5,5.0,2.0,3.5,rain\n"),
             Contains("bad.csv:3:1: the days must be consecutive") && Contains("follows 2019/12/28"));
  CHECK_THAT(weather_error(header + row1 + "2019/02/29,1.5,5.0,2.0,3.5,rain\n"),
             Contains("bad.csv:3:1: expected a date YYYY/MM/DD"));
  CHECK_THAT(weather_error("date,precipitation,temp_max,temp_min\n2019/12/28,0,1,2\n"),
             Contains("'wind' is not a column of bad.csv"));
  CHECK_THAT(weather_error(header + row1), Contains("bad.csv") && Contains("at least two"));
  CHECK_THAT(weather_error(""), Contains("bad.csv"));
  CHECK(weather_error(kTiny).empty());
  CHECK_THROWS_WITH(read_weather("/nonexistent/dir/weather.csv"),
                    Contains("/nonexistent/dir/weather.csv: cannot open") && Contains("python3-vega-datasets"));
}
