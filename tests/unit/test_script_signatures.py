"""Reading the parameters a script declares: R's first line, PowerShell's param block."""

from __future__ import annotations

import pytest

from jobsmith.errors import ScriptError
from jobsmith.tasks.signatures import ScriptParameter, powershell_parameters, r_parameters


def names(found: list[ScriptParameter]) -> list[str]:
    return [p.name for p in found]


@pytest.mark.parametrize(
    ("first_line", "expected"),
    [
        ("# first_parameter - second_parameter", ["first_parameter", "second_parameter"]),
        ("#first, second,third", ["first", "second", "third"]),
        ("## date  region_code", ["date", "region_code"]),
        ("#' name", ["name"]),
        ("   # indented - ok", ["indented", "ok"]),
        ("#", []),
    ],
)
def test_r_first_line_names_in_order(first_line: str, expected: list[str]) -> None:
    assert names(r_parameters(f"{first_line}\ncat('x')\n# later - ignored\n")) == expected


def test_r_parameters_are_all_required() -> None:
    assert all(not p.optional for p in r_parameters("# a - b\n"))


def test_r_first_line_that_is_code_declares_nothing() -> None:
    assert r_parameters("library(stats)\n# not - these\n") == []
    assert r_parameters("") == []


def test_r_shebang_and_byte_order_mark_are_skipped() -> None:
    assert names(r_parameters("\ufeff#!/usr/bin/env Rscript\n# name - day\n")) == ["name", "day"]


def test_powershell_seed_first_line() -> None:
    found = powershell_parameters('param($One, $Two)\n"$One $Two"\n')
    assert found == [ScriptParameter("One"), ScriptParameter("Two")]


def test_powershell_seed_greet_script() -> None:
    assert names(powershell_parameters('param($Name)\n\n"Hello, $Name!" > hello.txt\n')) == ["Name"]


def test_powershell_keyword_in_any_case_and_spacing() -> None:
    assert names(powershell_parameters("PARAM ( $a,$b )")) == ["a", "b"]


def test_powershell_full_param_block() -> None:
    script = """#requires -Version 5.1
<#
.SYNOPSIS
  Greets. This text mentions param($NotAParameter) and must be skipped.
#>
[CmdletBinding()]
Param(
    [Parameter(Mandatory = $true, HelpMessage = "who, to greet")]  # comment, $x
    [ValidateNotNullOrEmpty()]
    [string]$Name,
    [int]$Count = (1 + 2),
    [string[]]$Tags = @('a', 'b,c'),
    [switch]$Force,
    <# inline #> $Plain,
    [string]$Quoted = "it's ""here"", `"there`""
)
Write-Output "Hello, $Name"
"""
    found = powershell_parameters(script)
    assert found == [
        ScriptParameter("Name"),
        ScriptParameter("Count", optional=True),
        ScriptParameter("Tags", optional=True),
        ScriptParameter("Force", optional=True, switch=True),
        ScriptParameter("Plain"),
        ScriptParameter("Quoted", optional=True),
    ]


def test_powershell_without_param_block_declares_nothing() -> None:
    assert powershell_parameters("Write-Host 'param($x)'\n") == []
    assert powershell_parameters("# only a comment\n") == []
    assert powershell_parameters("") == []


def test_powershell_empty_param_block() -> None:
    assert powershell_parameters("param()\n'x'") == []


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("param($a, ($b)\n", "Greet.ps1:1: '(' is never closed"),
        ("\n\nparam([string$a)", "Greet.ps1:3: '(' is never closed"),
        ("<# help never closed\nparam($a)", "Greet.ps1: a <# comment #> is not closed"),
    ],
)
def test_powershell_unbalanced_block_is_a_clear_error(script: str, message: str) -> None:
    with pytest.raises(ScriptError) as caught:
        powershell_parameters(script, "Greet.ps1")
    assert str(caught.value) == message
