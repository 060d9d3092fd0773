********************************************************************************
*++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++*
*+                                                                             *
*+                                                                             *
*+                                                                             *
*+                                                                             *
*+                                                                             *
*+                                                                             *
*+                                  EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE*
*+                                  E
                                    EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE*
 The screen should be cleared,  and hader of *'s and +'s around the edge,   and
exactly in the                        middle  there should be a frame of E's aro
und this  text                        with  one (1) free position around it.
Push <RETURN>                                             EEEEEEEEEEEEEEEEEEEEE*
                                                          EEEEEEEEEEEEEEEEEEEEE*
*+                                                                             *
*+                                                                             *
*+                                                                             *
*+                                                                             *
*+                                                                             *
*+                                                                             *
++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++ *
********************************************************************************
cursor=13,14 visible=1 alt=0 region=0-23 origin=0 wrap=1 insert=0 ckm=0 kp=0 mouse=00000
