"""Recipe -> LLB compiler (pure and deterministic)."""

from llb.compiler.compile import compile_recipe
from llb.compiler.inputs import CompileInputs, CompileResult, StepInfo

__all__ = ["CompileInputs", "CompileResult", "StepInfo", "compile_recipe"]
