// Loaded by mocha before any test file (.mocharc.json): keeps the test output to the reporter's.
// The AWS SDK warns once per process that its releases after January 2027 need Node.js 22; the
// project's engines field says what it runs on, and the warning would sit in every test run.
// Child processes that tests start inherit the variable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
