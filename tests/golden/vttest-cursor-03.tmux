Test of autowrap, mixing control and print characters.
The left/right margins should have letters in order:
M                                                                              m
N
n
O                                                                              o
P                                                                              p
Q                                                                              q
R
r
S                                                                              s
T                                                                              t
U                                                                              u
V
v
W                                                                              w
X                                                                              x
Y                                                                              y
Z
z

Push <RETURN>


cursor=13,21 visible=1 alt=0 region=0-23 origin=0 wrap=1 insert=0 ckm=0 kp=0 mouse=00000
