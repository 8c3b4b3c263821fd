"""The child process that runs a student's code: ``python -m lucid.course._child FD``.

It reads its job from stdin (wire data: the exercises, the student's files, the cases
and the limits), imports lucid and the grader's catalogue, sets its limits (see
:mod:`lucid.course._sandbox`), and only then imports the student's module. For each
case it sends ``start`` and then the case's result, one JSON line each, on the pipe
``FD``: the grading process knows which case was running if the child dies. An
exception of the student's code is sent as its type, message and the frames of the
student's own file: nothing of the grader's code or cases.
"""
import importlib.util
import os
import resource
import signal
import sys


def _limit(job):
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write fails instead of killing us
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    cpu = int(job["cpu"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    with open("/proc/self/status") as f:
        vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    memory = vm + int(job["memory"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _load(path, name):
    spec = importlib.util.spec_from_file_location(f"lucid_student.{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main():
    fd = int(sys.argv[1])
    channel = os.fdopen(fd, "w", buffering=1, encoding="utf-8")
    from lucid.course import _wire

    job = _wire.loads(sys.stdin.read())

    from lucid.course import _catalog
    from lucid.course._compare import describe
    from lucid.course._exercise import student_frames

    def send(message):
        channel.write(_wire.dumps(message) + "\n")
        channel.flush()

    def raised(error, path):
        return {"raised": type(error).__name__,
                "mro": [c.__name__ for c in type(error).__mro__],
                "message": str(error)[:2000], "frames": student_frames(error, path)}

    def cleaned(result):
        outputs = result.get("outputs")
        if outputs is not None:
            for i, out in enumerate(outputs):
                if not (hasattr(out, "dtype") and hasattr(out, "shape")
                        and out.dtype.name in _wire.DTYPES and type(out).__name__ == "ndarray"):
                    outputs[i] = f"a {type(out).__name__}: {describe(out)}"
        return result

    _limit(job["limits"])
    send({"event": "ready"})
    for task in job["jobs"]:
        exercise = _catalog.exercise(task["exercise"])
        path = task["file"]
        send({"event": "job", "exercise": exercise.name})
        try:
            student = _load(path, f"{exercise.name}_{len(sys.modules)}")
            stack = exercise.install(student)
        except BaseException as error:  # noqa: BLE001 - the student's, reported
            send({"event": "failed", "exercise": exercise.name, **raised(error, path)})
            continue
        with stack:
            for case in task["cases"]:
                send({"event": "start", "seed": case["seed"]})
                try:
                    result = cleaned(exercise.run(case, student))
                except BaseException as error:  # noqa: BLE001 - the student's, reported
                    result = raised(error, path)
                try:
                    send({"event": "case", "seed": case["seed"], "result": result})
                except _wire.WireError as error:
                    send({"event": "case", "seed": case["seed"],
                          "result": {"returned": f"something that cannot be sent ({error})"}})
    send({"event": "done"})


if __name__ == "__main__":
    main()
