# The HTML report in a real browser (headless Chromium through chromedriver,
# driven by a Python standard-library WebDriver client). Skipped, with the
# reason on its output, only when Chromium or chromedriver is not installed.
# Screenshots go to B/tests/artifacts/.

find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME html_report_browser_test
  COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/browser/html_report_test.py
          --cli $<TARGET_FILE:heaptrail>
          --sample ${PROJECT_BINARY_DIR}/samples/leaks
          --artifacts ${PROJECT_BINARY_DIR}/tests/artifacts)
set_tests_properties(html_report_browser_test PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180)
