"""``python -m lucid.course``: list, new, grade, autograder (see :mod:`lucid.course`)."""
import argparse
import sys

import lucid.course as course
from lucid.course._grade import CourseError


def _list(args):
    for topic, description in course.topics().items():
        print(f"{topic}: {description}")
        for e in course.exercises(topic):
            print(f"    {e.name:<24} {e.points:>3g} points  {e.file:<14} {e.source}")
        print(f"    lucid's own tests of this topic: pytest -m {topic}")
    return 0


def _new(args):
    out = course.new(args.topics, args.out, force=args.force, check=not args.no_check)
    print(f"wrote the workspace {out} (README.md says what to do)")
    return 0


def _grade(args):
    report = course.grade(args.directory, exercise=args.exercise, seed=args.seed,
                          json=args.json, time_limit=args.time_limit,
                          memory_limit=int(args.memory_limit * 2 ** 20),
                          output_limit=int(args.output_limit * 2 ** 10))
    return 0 if report.score == report.max_score else 1


def _autograder(args):
    print(f"wrote {course.autograder(args.directory, args.out)}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lucid.course",
                                     description="Assignments from lucid's source, graded "
                                                 "against its compiled twins.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the topics and their exercises").set_defaults(run=_list)
    p = sub.add_parser("new", help="write a student workspace")
    p.add_argument("topics", nargs="+", metavar="TOPIC", help="topics or exercise names")
    p.add_argument("--out", required=True, metavar="DIR", help="the folder to write")
    p.add_argument("--force", action="store_true", help="write into a folder that has files")
    p.add_argument("--no-check", action="store_true",
                   help="do not prove the exercises first (faster)")
    p.set_defaults(run=_new)
    p = sub.add_parser("grade", help="grade a workspace; exit status 0 when every point is earned")
    p.add_argument("directory", metavar="DIR")
    p.add_argument("--exercise", metavar="NAME", help="grade this exercise only")
    p.add_argument("--seed", type=int, metavar="S", help="with --exercise: replay one case")
    p.add_argument("--json", metavar="PATH", help="write Gradescope's results.json here")
    p.add_argument("--time-limit", type=float, default=60.0, metavar="SECONDS",
                   help="wall-clock seconds per exercise (default 60)")
    p.add_argument("--memory-limit", type=float, default=2048, metavar="MIB",
                   help="MiB of memory per exercise (default 2048)")
    p.add_argument("--output-limit", type=float, default=1024, metavar="KIB",
                   help="KiB an exercise may print (default 1024)")
    p.set_defaults(run=_grade)
    p = sub.add_parser("autograder", help="pack a workspace for a course platform (Gradescope)")
    p.add_argument("directory", metavar="DIR")
    p.add_argument("--out", metavar="ZIP", help="the zip to write (default: beside DIR)")
    p.set_defaults(run=_autograder)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (CourseError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
