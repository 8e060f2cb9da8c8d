"""Extended XYZ frames as raw text blocks, for the nickel scripts that copy or parse them line by line."""


def frame_blocks(path):
    """The file's frames as lists of lines: the atom-count line, the comment line, the atom lines."""
    with open(path) as f:
        lines = f.readlines()
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        n = int(lines[i])
        yield lines[i:i + n + 2]
        i += n + 2
