"""jupyter_kernel_test (Debian's 0.4.5) configured for the seqlab kernel, every optional sample set.

Run by test/jupyter/conformance.test.ts with JUPYTER_PATH pointing at a kernelspec it installed.
"""
import unittest

import jupyter_kernel_test


class SeqlabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "seqlab"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("oops")'

    completion_samples = [
        {"text": "Math.ma", "matches": {"max"}},
        {"text": "const zebraOne = 1, zebraTwo = 2;\nzebra", "matches": {"zebraOne", "zebraTwo"}},
    ]
    complete_code_samples = ["1 + 1", "let x = [1, 2];", "function f() { return 1; }", "const t = `a${1}b`;"]
    incomplete_code_samples = ["function f() {", "let a = [1,\n2", "const t = `open", "const t = `a${1 +", "/* comment"]
    invalid_code_samples = ["1 +* 2", ")", "let 1x = 2;"]

    code_page_something = 'import { page } from "seqlab";\npage("Some text for the pager")'

    code_generate_error = 'throw new Error("expected failure")'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"sequence".length', "result": "8"},
        {"code": "[1, 2, 3].map((x) => x * 2)", "result": "[ 2, 4, 6 ]"},
    ]
    code_display_data = [
        {"code": 'import { display } from "seqlab";\ndisplay({"text/html": "<b>h</b>", "text/plain": "h"})', "mime": "text/html"},
        {"code": 'import { display } from "seqlab";\ndisplay({"image/png": "iVBORw0KGgo=", "text/plain": "img"})', "mime": "image/png"},
    ]

    code_history_pattern = "6 * ?"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math.max"

    code_clear_output = 'import { clearOutput } from "seqlab";\nclearOutput()'


if __name__ == "__main__":
    unittest.main()
