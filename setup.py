"""Build script for lucid's compiled kernel twins.

Every ``lucid/_ext/_<family>.pyx`` becomes an extension module. The extensions are
optional: when no working C compiler is found the install still succeeds and lucid runs
on its pure-Python reference twins (``lucid/_ext/<family>.py``).

Build-time switches (environment variables):

``LUCID_CYTHON_DEBUG=1``
    Turn Cython's bounds, wraparound and initialised-memory checks on (and optimise
    less). The Cython directives live here only, never in a ``.pyx`` header, so this
    switch reaches every kernel.
"""
import glob
import os
import shutil
import sys
import tempfile
import textwrap

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

DEBUG = os.environ.get("LUCID_CYTHON_DEBUG", "0") not in ("", "0")

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": not DEBUG,
    "embedsignature": True,
}


def _probe_openmp(compiler):
    """Return True when a tiny OpenMP program compiles and links with ``compiler``."""
    source = textwrap.dedent(
        """
        #include <omp.h>
        int main(void) {
            int n = 0;
            #pragma omp parallel for reduction(+:n)
            for (int i = 0; i < 4; i++) n += 1;
            return n == 4 ? 0 : 1;
        }
        """
    )
    tmp = tempfile.mkdtemp(prefix="lucid-omp-")
    try:
        path = os.path.join(tmp, "probe.c")
        with open(path, "w") as f:
            f.write(source)
        objects = compiler.compile([path], output_dir=tmp, extra_postargs=["-fopenmp"])
        compiler.link_executable(objects, "probe", output_dir=tmp, extra_postargs=["-fopenmp"])
        return True
    except Exception:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class OptionalBuildExt(build_ext):
    """Build the kernels when a compiler works; otherwise warn and go on without them."""

    def build_extensions(self):
        compiler = self.compiler
        if compiler.compiler_type == "msvc":
            openmp = ["/openmp"]
            optimise = ["/O2"]
            link = []
        else:
            openmp = ["-fopenmp"]
            # -fno-trapping-math: no floating-point operation is taken to raise a trap
            # (they never do: Python runs with the traps masked). It changes no result,
            # and lets gcc turn a comparison inside a loop into a vector select where it
            # would keep a branch per element (_exp.pxd's range clamps on SSE2).
            # -fno-math-errno: sqrt and the other C math functions need not set errno
            # (nothing in lucid reads it). Same results; gcc can then use the vector
            # square root instead of a call per element (the Adam step's loop).
            optimise = (["-O0", "-g"] if DEBUG
                        else ["-O3", "-fno-trapping-math", "-fno-math-errno"])
            link = ["-fopenmp"]
        try:
            use_openmp = compiler.compiler_type == "msvc" or _probe_openmp(compiler)
        except Exception:
            use_openmp = False
        if not use_openmp:
            print("WARNING: lucid: the C compiler has no OpenMP; kernels are built serial.",
                  file=sys.stderr)
        for ext in self.extensions:
            ext.extra_compile_args = optimise + (openmp if use_openmp else [])
            ext.extra_link_args = link if use_openmp else []
        super().build_extensions()

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # no compiler, or it failed: keep the pure-Python install
            self._skip(exc, ext.name)

    def finalize_options(self):
        super().finalize_options()
        if DEBUG:  # keep the bounds-checked objects apart from the optimised ones
            self.build_temp = os.path.join(self.build_temp, "debug")
            self.build_lib = os.path.join(self.build_lib, "debug")

    def run(self):
        try:
            super().run()
        except Exception as exc:
            self._skip(exc)

    def _skip(self, exc, name="all kernels"):
        print(
            f"WARNING: lucid: compiled kernel {name} was not built "
            f"({type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}); "
            "lucid will run on its reference twins. Install a C compiler and rerun "
            "`pip install -e .` to build them.",
            file=sys.stderr,
        )


def _extensions():
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("WARNING: lucid: Cython is not installed; compiled kernels are skipped.",
              file=sys.stderr)
        return []
    try:
        import numpy
        include = [numpy.get_include()]
    except ImportError:
        include = []
    sources = sorted(glob.glob(os.path.join("lucid", "_ext", "_*.pyx")))
    extensions = [
        Extension(
            "lucid._ext." + os.path.splitext(os.path.basename(src))[0],
            [src],
            include_dirs=include,
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        )
        for src in sources
    ]
    # The generated C depends on the directives, so the debug build keeps its C files
    # apart: switching LUCID_CYTHON_DEBUG regenerates instead of reusing stale C.
    built = []
    for ext in extensions:  # one at a time: a broken kernel must not stop the others
        try:
            built += cythonize(
                [ext],
                compiler_directives=DIRECTIVES,
                quiet=True,
                build_dir=os.path.join("build", "cython-debug" if DEBUG else "cython"),
                force=any(a in ("--force", "-f") for a in sys.argv),
            )
        except Exception as exc:
            print(f"WARNING: lucid: Cython could not translate {ext.sources[0]} ({exc}); "
                  "that kernel family runs on its reference twin.", file=sys.stderr)
    return built


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
