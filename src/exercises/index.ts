// Exercises: self-checks that answer "correct" or "not yet" with a hint.
export { check, lang, inLang, type Bilingual, type CheckOptions, type CheckResult, type Expectation, type Lang } from "./check";
export { agree, agreement, relativeDifference, type AgreeOptions, type Agreement } from "./agree";
